-- the strategy is missing

{% snapshot s %}
{{ config(unique_key="id") }}
select 1 as id
{% endsnapshot %}
