select n, {{ times('n') }} as scaled from generate_series(1, 3) as n
