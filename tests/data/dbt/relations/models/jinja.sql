select
  '{{ shout() }}' as greeting,
  '{{ ns_block() }}' as ns_block,
  {{ none | map('lower') | list | length }} as mapped_none,
  {{ none | select | list | length }} as selected_none
