select 1 as id, 'Ann'::text as name, 'gold'::text as tier
