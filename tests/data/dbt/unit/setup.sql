create schema if not exists raw;
create table raw.orders (id integer, customer text, amount numeric(10,2), ordered_at date);
insert into raw.orders values (1, 'Ann', 10.50, '2026-01-01'), (2, 'Bob', 3, '2026-01-02');
