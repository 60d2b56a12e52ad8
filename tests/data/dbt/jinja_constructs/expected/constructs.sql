select
  1 as c_id,
  2 as c_name,
  6 as total,
  'A-B-C' as label,
  3 as odd_count,
  (3 + 8 + 2) as sums,
  'cxy12bc' as strs,
  True as no_owner,
  True as first_tag
  -- 1/3 owner=None odd
  -- 2/3 schema=analytics even
  -- 3/3 tags=['x', 'y'] odd (last)
  -- [1.0, True, None, "it's"] 2.5 0.0 4 {"a": 1}
  -- True True True True False
