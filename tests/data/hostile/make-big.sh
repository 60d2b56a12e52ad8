#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Writes the two large members of the hostile corpus into DIR (too big to
# keep in git): a 10 MB quoted field and a 1 MB line of commas.
set -euo pipefail
dir=$1
{ printf 'a,b\n1,"'; head -c 10485760 /dev/zero | tr '\0' 'x'; printf '"\n'; } >"$dir/big-field-10mb.csv"
{ printf 'a\n'; head -c 1048576 /dev/zero | tr '\0' ','; printf '\n'; } >"$dir/line-of-commas-1mb.csv"
