{% snapshot ok %}
{{ config(strategy="check", unique_key="id", check_cols="all") }}
select 1 as id
{% endsnapshot %}

{%- snapshot never_closed -%}
select 1
