select 1::int as id, 'abc'::varchar(5) as code, 2.5::float8 as score, 'x'::text as note, 1.25::numeric(6, 2) as price
