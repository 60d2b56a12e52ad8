-- The source table the build project's models read.
create schema app;
create table app.orders (id integer, customer_id integer, amount numeric(10,2),
                         updated_at timestamp not null default '2026-01-01');
insert into app.orders (id, customer_id, amount) values (1, 1, 10.00), (2, 2, 20.00), (3, 1, 5.50);
