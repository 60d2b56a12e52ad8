-- depends_on: {{ ref('base') }}
{%- set created = api.Relation.create(schema=this.schema, identifier='base', type='table') %}
{%- set found = adapter.get_relation(database=this.database, schema=this.schema, identifier='base') %}
{%- set missing = adapter.get_relation(database=this.database, schema=this.schema, identifier='no_such') %}
{%- set loaded = load_relation(ref('base')) %}
select
  '{{ created.identifier }}' as created_identifier,
  {{ created.is_table }} as created_is_table,
  {{ found is not none }} as found,
  '{{ found.type if found else "" }}' as found_type,
  {{ missing is none }} as missing_is_none,
  '{{ loaded.identifier if loaded else "" }}' as loaded,
  '{{ this.incorporate(type="view").identifier }}' as incorporated,
  '{{ api.Relation.add_ephemeral_prefix("x") }}' as ephemeral_name,
  '{{ flags.WHICH }}' as which
