{{ config(materialized='ephemeral') }}
select id, currency from {{ ref('stg_sales') }} where id > {{ var('min_id') }}
