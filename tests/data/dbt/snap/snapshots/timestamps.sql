{% snapshot ts_ignore %}
{{ config(target_schema=var('snap_schema'), strategy='timestamp', unique_key='id', updated_at='updated_at') }}
select * from {{ source('raw', 'customers') }}
{% endsnapshot %}

{% snapshot ts_invalidate %}
{{ config(target_schema=var('snap_schema'), strategy='timestamp', unique_key='id', updated_at='updated_at',
          invalidate_hard_deletes=True) }}
select id, name, city, updated_at from {{ source('raw', 'customers') }}
{% endsnapshot %}
