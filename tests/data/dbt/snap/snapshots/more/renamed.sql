{% snapshot ck_renamed %}
{{ config(target_schema=var('snap_schema'), strategy='check', unique_key=['id', 'city'], check_cols=['name'],
          hard_deletes='new_record', dbt_valid_to_current="'9999-12-31'::timestamp",
          snapshot_meta_column_names={'dbt_valid_from': 'valid_from', 'dbt_valid_to': 'valid_to',
                                      'dbt_scd_id': 'scd_id', 'dbt_updated_at': 'changed_at',
                                      'dbt_is_deleted': 'is_deleted'}) }}
select * from {{ source('raw', 'customers') }}
{% endsnapshot %}

{% snapshot ts_expr_key %}
{{ config(target_schema=var('snap_schema'), strategy='timestamp', unique_key="id || '-' || city",
          updated_at='updated_at', hard_deletes='invalidate') }}
select * from {{ source('raw', 'customers') }}
{% endsnapshot %}
