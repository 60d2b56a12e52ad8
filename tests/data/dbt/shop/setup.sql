-- The source table the shop's models read.
create schema app;
create table app.orders (id integer primary key, customer text not null, amount numeric(10,2) not null,
                         updated_at timestamptz not null default now());
insert into app.orders (id, customer, amount, updated_at) values
  (1, 'ann', 10.00, '2026-01-01'), (2, 'bob', 20.00, '2026-01-01'), (3, 'ann', 5.50, '2026-01-02');
