{% set d = modules.datetime.date(1997, 9, 29) -%}
{% set la = modules.pytz.timezone('America/Los_Angeles') -%}
{% set dt = modules.datetime.datetime(1997, 9, 29, 6, 14, 0, tzinfo=la) -%}
-- date: {{ d }} {{ d.year }} {{ d.month }} {{ d.day }} {{ d.weekday() }} {{ d.isoweekday() }} {{ d.isoformat() }}
-- date strftime: {{ d.strftime('%Y/%m/%d %a %A %b %B %j %U %W %w %y %H:%M:%S %%') }}
-- a zone as tzinfo, pytz's first offset: {{ dt }} {{ dt.tzinfo }} {{ dt.utcoffset() }} {{ dt.tzname() }} {{ dt.hour }}:{{ dt.minute }}
-- others: {{ modules.datetime.datetime(2020, 1, 1, tzinfo=modules.pytz.timezone('Europe/Amsterdam')) }} {{ modules.datetime.datetime(2020, 1, 1, tzinfo=modules.pytz.timezone('Asia/Kolkata')) }}
-- keywords: {{ modules.datetime.datetime(year=2021, month=6, day=7, hour=8, minute=9, second=10, microsecond=123456) }} {{ modules.datetime.datetime(2021, 6, 7, microsecond=5) }}
-- isoformat: {{ modules.datetime.datetime(2021, 6, 7, 8, 9, 10).isoformat() }} {{ dt.isoformat(' ') }}
-- localize: {{ la.localize(modules.datetime.datetime(2021, 6, 7, 8, 0)) }} {{ la.localize(modules.datetime.datetime(2021, 1, 7, 8, 0)) }}
-- ambiguous: {{ la.localize(modules.datetime.datetime(2021, 11, 7, 1, 30)) }} {{ la.localize(modules.datetime.datetime(2021, 11, 7, 1, 30), is_dst=True) }}
-- skipped: {{ la.localize(modules.datetime.datetime(2021, 3, 14, 2, 30)) }} {{ la.localize(modules.datetime.datetime(2021, 3, 14, 2, 30), is_dst=True) }}
-- southern: {{ modules.pytz.timezone('Australia/Sydney').localize(modules.datetime.datetime(2021, 1, 1)) }} {{ modules.pytz.timezone('Australia/Sydney').localize(modules.datetime.datetime(2021, 7, 1)) }}
-- astimezone: {{ la.localize(modules.datetime.datetime(2021, 6, 7, 8, 0)).astimezone(modules.pytz.utc) }} {{ modules.pytz.utc.localize(modules.datetime.datetime(2021, 6, 7, 23, 50)).astimezone(modules.pytz.timezone('Asia/Kolkata')) }}
-- normalize: {{ la.normalize(modules.pytz.utc.localize(modules.datetime.datetime(2021, 12, 31, 23, 0))) }}
-- strftime: {{ la.localize(modules.datetime.datetime(2021, 6, 7, 8, 0, 1, 42)).strftime('%Y-%m-%d %H:%M:%S.%f %z %Z %I %p') }} [{{ modules.datetime.datetime(2021, 6, 7).strftime('%z%Z') }}]
-- replace: {{ dt.replace(year=2000, tzinfo=None) }} {{ d.replace(day=1) }} {{ dt.replace(hour=23) }}
-- date(): {{ dt.date() }} {{ modules.datetime.datetime(2021, 6, 7, 8, 9).date().strftime('%d.%m.%Y') }}
-- timedelta: {{ modules.datetime.timedelta(days=1, hours=2) }} {{ modules.datetime.timedelta(seconds=-1) }} {{ modules.datetime.timedelta(weeks=2, milliseconds=500) }} {{ modules.datetime.timedelta(3) }} {{ modules.datetime.timedelta(hours=36).total_seconds() }} {{ modules.datetime.timedelta(hours=36).days }} {{ modules.datetime.timedelta(hours=36).seconds }}
-- utc: {{ modules.pytz.utc }} {{ modules.pytz.timezone('UTC') }} {{ modules.datetime.datetime(2020, 1, 1, tzinfo=modules.pytz.utc) }} {{ modules.pytz.timezone('UTC').zone }} {{ la.zone }}
-- odd formats: [{{ modules.datetime.date(2021, 1, 2).strftime('100%') }}] [{{ modules.datetime.date(2021, 1, 2).strftime('%q') }}] [{{ modules.datetime.date(2021, 1, 2).strftime('') }}]
-- arithmetic: {{ d + modules.datetime.timedelta(days=3) }} {{ d - modules.datetime.timedelta(days=30, hours=5) }} {{ modules.datetime.timedelta(days=1) + d }} {{ modules.datetime.date(2021, 3, 1) - modules.datetime.date(2020, 2, 28) }}
-- datetime arithmetic: {{ modules.datetime.datetime(2021, 1, 31, 23, 30) + modules.datetime.timedelta(minutes=45, microseconds=7) }} {{ modules.datetime.datetime(2021, 1, 1) - modules.datetime.datetime(2021, 1, 2, 0, 0, 1) }} {{ (modules.datetime.timedelta(hours=1) - modules.datetime.timedelta(minutes=90)) }}
-- zoned arithmetic: {{ la.localize(modules.datetime.datetime(2021, 3, 13, 12)) + modules.datetime.timedelta(days=1) }} {{ la.localize(modules.datetime.datetime(2021, 3, 15)) - modules.pytz.utc.localize(modules.datetime.datetime(2021, 3, 15)) }}
-- yesterday, as projects write it: {{ (modules.datetime.date(2021, 1, 1) - modules.datetime.timedelta(days=1)).strftime('%Y-%m-%d') }}
-- compare: {{ modules.datetime.date(2020, 1, 2) > modules.datetime.date(2019, 12, 31) }} {{ modules.datetime.date(2020, 1, 2) | string }}
select 1 as x
