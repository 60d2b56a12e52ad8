select
  id as c_id,
  name as c_name,
  3 as odd_count,
  (3 + 8) as sums,
  'x as p_x' as one
