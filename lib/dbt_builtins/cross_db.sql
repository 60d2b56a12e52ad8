{#- SPDX-License-Identifier: MIT
    modelrun's own versions of dbt's cross-database macros, for
    PostgreSQL: the SQL they give means what dbt-postgres's means (checked
    against the reference dbt in tests/modelrun.bats). Each public macro
    goes through adapter.dispatch(name, 'dbt') as dbt's do, so that a
    project's postgres__name or default__name replaces modelrun's, and a
    project macro of the same bare name hides it. -#}

{#- ---- types ---- -#}
{%- macro type_string() -%}{{ return(adapter.dispatch('type_string', 'dbt')()) }}{%- endmacro -%}
{%- macro default__type_string() -%}{{ return('TEXT') }}{%- endmacro -%}
{%- macro type_timestamp() -%}{{ return(adapter.dispatch('type_timestamp', 'dbt')()) }}{%- endmacro -%}
{%- macro default__type_timestamp() -%}{{ return('timestamp') }}{%- endmacro -%}
{%- macro type_float() -%}{{ return(adapter.dispatch('type_float', 'dbt')()) }}{%- endmacro -%}
{%- macro default__type_float() -%}{{ return('float') }}{%- endmacro -%}
{%- macro type_numeric() -%}{{ return(adapter.dispatch('type_numeric', 'dbt')()) }}{%- endmacro -%}
{%- macro default__type_numeric() -%}{{ return('numeric(28,6)') }}{%- endmacro -%}
{%- macro type_bigint() -%}{{ return(adapter.dispatch('type_bigint', 'dbt')()) }}{%- endmacro -%}
{%- macro default__type_bigint() -%}{{ return('bigint') }}{%- endmacro -%}
{%- macro type_int() -%}{{ return(adapter.dispatch('type_int', 'dbt')()) }}{%- endmacro -%}
{%- macro default__type_int() -%}{{ return('integer') }}{%- endmacro -%}
{%- macro type_boolean() -%}{{ return(adapter.dispatch('type_boolean', 'dbt')()) }}{%- endmacro -%}
{%- macro default__type_boolean() -%}{{ return('boolean') }}{%- endmacro -%}

{#- ---- casts and strings ---- -#}
{%- macro cast(field, type) -%}{{ adapter.dispatch('cast', 'dbt')(field, type) }}{%- endmacro -%}
{%- macro default__cast(field, type) -%}cast({{ field }} as {{ type }}){%- endmacro -%}
{%- macro safe_cast(field, type) -%}{{ adapter.dispatch('safe_cast', 'dbt')(field, type) }}{%- endmacro -%}
{#- PostgreSQL has no cast that gives null on failure: a plain cast -#}
{%- macro default__safe_cast(field, type) -%}cast({{ field }} as {{ type }}){%- endmacro -%}
{%- macro cast_bool_to_text(field) -%}{{ adapter.dispatch('cast_bool_to_text', 'dbt')(field) }}{%- endmacro -%}
{%- macro default__cast_bool_to_text(field) -%}cast({{ field }} as {{ dbt.type_string() }}){%- endmacro -%}
{%- macro concat(fields) -%}{{ adapter.dispatch('concat', 'dbt')(fields) }}{%- endmacro -%}
{%- macro default__concat(fields) -%}{{ fields | join(' || ') }}{%- endmacro -%}
{%- macro hash(field) -%}{{ adapter.dispatch('hash', 'dbt')(field) }}{%- endmacro -%}
{%- macro default__hash(field) -%}md5(cast({{ field }} as {{ dbt.type_string() }})){%- endmacro -%}
{%- macro escape_single_quotes(expression) -%}{{ adapter.dispatch('escape_single_quotes', 'dbt')(expression) }}{%- endmacro -%}
{%- macro default__escape_single_quotes(expression) -%}{{ expression | replace("'", "''") }}{%- endmacro -%}
{#- as dbt's: the value is put between quotes as it is -#}
{%- macro string_literal(value) -%}{{ adapter.dispatch('string_literal', 'dbt')(value) }}{%- endmacro -%}
{%- macro default__string_literal(value) -%}'{{ value }}'{%- endmacro -%}
{%- macro replace(field, old_chars, new_chars) -%}{{ adapter.dispatch('replace', 'dbt')(field, old_chars, new_chars) }}{%- endmacro -%}
{%- macro default__replace(field, old_chars, new_chars) -%}replace({{ field }}, {{ old_chars }}, {{ new_chars }}){%- endmacro -%}
{%- macro length(expression) -%}{{ adapter.dispatch('length', 'dbt')(expression) }}{%- endmacro -%}
{%- macro default__length(expression) -%}length({{ expression }}){%- endmacro -%}
{%- macro position(substring_text, string_text) -%}{{ adapter.dispatch('position', 'dbt')(substring_text, string_text) }}{%- endmacro -%}
{%- macro default__position(substring_text, string_text) -%}position({{ substring_text }} in {{ string_text }}){%- endmacro -%}
{%- macro right(string_text, length_expression) -%}{{ adapter.dispatch('right', 'dbt')(string_text, length_expression) }}{%- endmacro -%}
{%- macro default__right(string_text, length_expression) -%}right({{ string_text }}, {{ length_expression }}){%- endmacro -%}
{%- macro split_part(string_text, delimiter_text, part_number) -%}{{ adapter.dispatch('split_part', 'dbt')(string_text, delimiter_text, part_number) }}{%- endmacro -%}
{#- PostgreSQL's split_part takes a negative part from version 14 only:
    count the parts (the delimiters plus one) and add -#}
{%- macro postgres__split_part(string_text, delimiter_text, part_number) -%}
{%- if part_number >= 0 -%}
split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }})
{%- else -%}
split_part({{ string_text }}, {{ delimiter_text }}, length({{ string_text }}) - length(replace({{ string_text }}, {{ delimiter_text }}, '')) + 2 + {{ part_number }})
{%- endif -%}
{%- endmacro -%}
{%- macro default__split_part(string_text, delimiter_text, part_number) -%}split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }}){%- endmacro -%}

{#- ---- aggregates and set operators ---- -#}
{%- macro listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) -%}{{ adapter.dispatch('listagg', 'dbt')(measure, delimiter_text, order_by_clause, limit_num) }}{%- endmacro -%}
{%- macro postgres__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
{%- if limit_num -%}
array_to_string((array_agg({{ measure }} {{ order_by_clause or '' }}))[1:{{ limit_num }}], {{ delimiter_text }})
{%- else -%}
string_agg({{ measure }}, {{ delimiter_text }} {{ order_by_clause or '' }})
{%- endif -%}
{%- endmacro -%}
{%- macro any_value(expression) -%}{{ adapter.dispatch('any_value', 'dbt')(expression) }}{%- endmacro -%}
{#- any_value() is an aggregate from PostgreSQL 16 only; min() picks one too -#}
{%- macro postgres__any_value(expression) -%}min({{ expression }}){%- endmacro -%}
{%- macro bool_or(expression) -%}{{ adapter.dispatch('bool_or', 'dbt')(expression) }}{%- endmacro -%}
{%- macro default__bool_or(expression) -%}bool_or({{ expression }}){%- endmacro -%}
{%- macro except() -%}{{ adapter.dispatch('except', 'dbt')() }}{%- endmacro -%}
{%- macro default__except() -%}except{%- endmacro -%}
{%- macro intersect() -%}{{ adapter.dispatch('intersect', 'dbt')() }}{%- endmacro -%}
{%- macro default__intersect() -%}intersect{%- endmacro -%}

{#- ---- arrays ---- -#}
{%- macro array_construct(inputs=[], data_type='integer') -%}{{ adapter.dispatch('array_construct', 'dbt')(inputs, data_type) }}{%- endmacro -%}
{%- macro postgres__array_construct(inputs, data_type) -%}
{%- if inputs | length > 0 -%}array[ {{ inputs | join(' , ') }} ]{%- else -%}array[]::{{ data_type }}[]{%- endif -%}
{%- endmacro -%}
{%- macro array_append(array, new_element) -%}{{ adapter.dispatch('array_append', 'dbt')(array, new_element) }}{%- endmacro -%}
{%- macro default__array_append(array, new_element) -%}array_append({{ array }}, {{ new_element }}){%- endmacro -%}
{%- macro array_concat(array_1, array_2) -%}{{ adapter.dispatch('array_concat', 'dbt')(array_1, array_2) }}{%- endmacro -%}
{%- macro default__array_concat(array_1, array_2) -%}array_cat({{ array_1 }}, {{ array_2 }}){%- endmacro -%}

{#- ---- dates and times ---- -#}
{%- macro current_timestamp() -%}{{ adapter.dispatch('current_timestamp', 'dbt')() }}{%- endmacro -%}
{%- macro postgres__current_timestamp() -%}now(){%- endmacro -%}
{%- macro current_timestamp_backcompat() -%}{{ adapter.dispatch('current_timestamp_backcompat', 'dbt')() }}{%- endmacro -%}
{%- macro postgres__current_timestamp_backcompat() -%}current_timestamp::{{ dbt.type_timestamp() }}{%- endmacro -%}
{%- macro current_timestamp_in_utc_backcompat() -%}{{ adapter.dispatch('current_timestamp_in_utc_backcompat', 'dbt')() }}{%- endmacro -%}
{%- macro postgres__current_timestamp_in_utc_backcompat() -%}(current_timestamp at time zone 'utc')::{{ dbt.type_timestamp() }}{%- endmacro -%}
{%- macro date_trunc(datepart, date) -%}{{ adapter.dispatch('date_trunc', 'dbt')(datepart, date) }}{%- endmacro -%}
{%- macro default__date_trunc(datepart, date) -%}date_trunc('{{ datepart }}', {{ date }}){%- endmacro -%}
{%- macro dateadd(datepart, interval, from_date_or_timestamp) -%}{{ adapter.dispatch('dateadd', 'dbt')(datepart, interval, from_date_or_timestamp) }}{%- endmacro -%}
{%- macro postgres__dateadd(datepart, interval, from_date_or_timestamp) -%}
{{ from_date_or_timestamp }} + ((interval '1 {{ datepart }}') * ({{ interval }}))
{%- endmacro -%}
{%- macro date(year, month, day) -%}{{ adapter.dispatch('date', 'dbt')(year, month, day) }}{%- endmacro -%}
{%- macro postgres__date(year, month, day) -%}
{%- set mm = month | string -%}
{%- set dd = day | string -%}
to_date('{{ year }}-{{ '0' if mm | length < 2 }}{{ mm }}-{{ '0' if dd | length < 2 }}{{ dd }}', 'YYYY-MM-DD')
{%- endmacro -%}
{%- macro last_day(date, datepart) -%}{{ adapter.dispatch('last_day', 'dbt')(date, datepart) }}{%- endmacro -%}
{#- the day before the next period starts; a quarter is three months,
    since PostgreSQL's intervals have no quarters -#}
{%- macro postgres__last_day(date, datepart) -%}
{%- set step = 'month' if datepart == 'quarter' else datepart -%}
{%- set steps = 3 if datepart == 'quarter' else 1 -%}
cast({{ dbt.dateadd('day', '-1', dbt.dateadd(step, steps, dbt.date_trunc(datepart, date))) }} as date)
{%- endmacro -%}
{%- macro datediff(first_date, second_date, datepart) -%}{{ adapter.dispatch('datediff', 'dbt')(first_date, second_date, datepart) }}{%- endmacro -%}
{#- What dbt-postgres counts: calendar boundaries crossed, from the
    dates' parts (a week from Sunday to Sunday); each finer part adds to
    the count of the coarser one. -#}
{%- macro _mr_days_between(a, b) -%}(({{ b }})::date - ({{ a }})::date){%- endmacro -%}
{%- macro _mr_years_between(a, b) -%}(date_part('year', ({{ b }})::date) - date_part('year', ({{ a }})::date)){%- endmacro -%}
{%- macro _mr_part_step(a, b, part) -%}date_part('{{ part }}', ({{ b }})::timestamp) - date_part('{{ part }}', ({{ a }})::timestamp){%- endmacro -%}
{%- macro _mr_hours_between(a, b) -%}({{ dbt._mr_days_between(a, b) }} * 24 + {{ dbt._mr_part_step(a, b, 'hour') }}){%- endmacro -%}
{%- macro _mr_minutes_between(a, b) -%}({{ dbt._mr_hours_between(a, b) }} * 60 + {{ dbt._mr_part_step(a, b, 'minute') }}){%- endmacro -%}
{%- macro postgres__datediff(first_date, second_date, datepart) -%}
{%- set a = first_date -%}
{%- set b = second_date -%}
{%- set p = datepart | lower -%}
{%- if p == 'year' -%}
{{ dbt._mr_years_between(a, b) }}
{%- elif p == 'quarter' -%}
({{ dbt._mr_years_between(a, b) }} * 4 + date_part('quarter', ({{ b }})::date) - date_part('quarter', ({{ a }})::date))
{%- elif p == 'month' -%}
({{ dbt._mr_years_between(a, b) }} * 12 + date_part('month', ({{ b }})::date) - date_part('month', ({{ a }})::date))
{%- elif p == 'day' -%}
{{ dbt._mr_days_between(a, b) }}
{%- elif p == 'week' -%}
({{ dbt._mr_days_between(a, b) }} / 7 + case when date_part('dow', ({{ a }})::timestamp) <= date_part('dow', ({{ b }})::timestamp) then case when {{ a }} <= {{ b }} then 0 else -1 end else case when {{ a }} <= {{ b }} then 1 else 0 end end)
{%- elif p == 'hour' -%}
{{ dbt._mr_hours_between(a, b) }}
{%- elif p == 'minute' -%}
{{ dbt._mr_minutes_between(a, b) }}
{%- elif p == 'second' -%}
({{ dbt._mr_minutes_between(a, b) }} * 60 + floor(date_part('second', ({{ b }})::timestamp)) - floor(date_part('second', ({{ a }})::timestamp)))
{%- elif p == 'millisecond' -%}
({{ dbt._mr_minutes_between(a, b) }} * 60000 + floor(date_part('millisecond', ({{ b }})::timestamp)) - floor(date_part('millisecond', ({{ a }})::timestamp)))
{%- elif p == 'microsecond' -%}
({{ dbt._mr_minutes_between(a, b) }} * 60000000 + floor(date_part('microsecond', ({{ b }})::timestamp)) - floor(date_part('microsecond', ({{ a }})::timestamp)))
{%- else -%}
{{ exceptions.raise_compiler_error("Unsupported datepart for macro datediff in postgres: " ~ datepart) }}
{%- endif -%}
{%- endmacro -%}
