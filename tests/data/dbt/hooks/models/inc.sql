{{ config(materialized='incremental', unique_key='n',
          post_hook="insert into {{ var('audit') }}.log (what) values ('inc post, incremental: {{ is_incremental() }}')") }}
select n from {{ ref('totals') }}
