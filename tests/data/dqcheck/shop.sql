-- Tables for the shop fixture project, clean data: every test passes.
-- psql variables: s (the target schema), raw (the source schema).
create schema :"s";
create schema :"raw";
create table :"s".customers (id int, name text, tier text);
insert into :"s".customers values (1, 'Ann', 'gold'), (2, 'Bob', 'silver'), (3, 'Cy', 'bronze');
create table :"s".orders (id int, customer_id int, status text, quantity int, amount numeric(10, 2), ordered_at date);
insert into :"s".orders values
	(1, 1, 'placed', 1, 10.00, '2026-01-01'),
	(2, 2, 'shipped', 2, 20.50, '2026-01-01'),
	(3, 1, 'returned', 3, 5.25, '2026-01-02'),
	(4, 3, 'placed', 1, 100.00, '2026-01-03');
create table :"s".order_facts as select * from :"s".orders;
create table :"s".daily_revenue as select ordered_at as day, sum(amount) as revenue from :"s".orders group by 1;
create table :"raw".events (event_id int, loaded_at timestamptz);
insert into :"raw".events values (1, now() - interval '1 hour'), (2, now());
