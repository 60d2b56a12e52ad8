-- the relation's attributes come from the same host as modelrun's
select 1 from information_schema.tables
where table_schema = '{{ ref('stg_sales').schema }}' and table_name = '{{ ref('stg_sales').identifier }}'
having count(*) <> 1
