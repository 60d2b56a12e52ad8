{{ config(materialized='table') }}
select id, currency from (values (1, 'USD'), (2, 'EUR'), (3, 'EUR')) v (id, currency)
