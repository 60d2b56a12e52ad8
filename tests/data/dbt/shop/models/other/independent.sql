{{ config(tags=['other']) }}
select 1 as one
