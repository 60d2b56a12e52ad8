{{ config(materialized='incremental', unique_key='id', on_schema_change='append_new_columns',
          grants={'select': ['mr_contract_writer']}) }}
select id, code from {{ ref('parent') }}
{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}
