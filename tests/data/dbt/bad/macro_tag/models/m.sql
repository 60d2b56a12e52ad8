{% import 'cents.sql' as money %}
select 1
