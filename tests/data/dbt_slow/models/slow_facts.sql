-- {{ var('version', 1) }} is the value every row gets; pg_sleep holds the
-- build open long enough to be interrupted.
select g as id, {{ var('version', 1) }} as version
from generate_series(1, 1000) as g, (select pg_sleep({{ var('sleep', 0) }})) as pause
