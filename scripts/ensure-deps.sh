#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what a stage needs when it is missing: apt-get when root, otherwise
# prints the exact command and stops. Costs a few file tests when all is there.
#   ensure-deps.sh build   compiler, libpq, libcsv, libyaml, pcre2, libssl headers
#   ensure-deps.sh run     + the PostgreSQL client (pipeline.sh)
#   ensure-deps.sh server  the PostgreSQL server alone (pipeline.sh's embedded database)
#   ensure-deps.sh test    + bats with its helpers, the PostgreSQL server
#   ensure-deps.sh bench   + hyperfine, pgloader, GNU time
#   ensure-deps.sh fuzz    build + clang with its libFuzzer runtime
#   ensure-deps.sh citus   Citus in the machine's PostgreSQL, for tests/citus.bats
#                          and bench/citus.bench.sh: built by the install script
#                          kept beside the repository (ELT_CITUS_INSTALL, else
#                          ../shared/citus/install.sh); users install Citus from
#                          Citus's own packages (docs/scale-out.md)
#   ensure-deps.sh citus-script   prints the path of that install script
#   ensure-deps.sh dbt     the reference dbt (dbt-core + dbt-postgres, offline) in
#                          /opt/dbt-reference, which the differential tests of
#                          modelrun and dqcheck compare against: installed by the
#                          script kept beside the repository (ELT_DBT_INSTALL, else
#                          ../shared/dbt-reference/install.sh); without it those
#                          tests are skipped
set -euo pipefail

# shared_script OVERRIDE DIR: the install script of a reference kept beside
# this clone: OVERRIDE if set, else ../shared/DIR/install.sh, else where
# the team's machines keep it.
shared_script() {
	local beside
	beside=$(cd "$(dirname "$0")/.." && pwd)/../shared/$2/install.sh
	if [ -n "$1" ]; then
		echo "$1"
	elif [ -x "$beside" ] || [ ! -x "/work/shared/$2/install.sh" ]; then
		echo "$beside"
	else
		echo "/work/shared/$2/install.sh"
	fi
}
citus_script() { shared_script "${ELT_CITUS_INSTALL:-}" citus; }
if [ "${1:-}" = citus-script ]; then
	citus_script
	exit 0
fi
if [ "${1:-}" = dbt ]; then
	[ -x /opt/dbt-reference/bin/dbt ] && exit 0
	script=$(shared_script "${ELT_DBT_INSTALL:-}" dbt-reference)
	if [ ! -f "$script" ]; then
		echo "dbt: not installed, and no install script at $script: the tests against dbt will be skipped" >&2
		exit 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "dbt: not installed; install it with: sudo bash $script" >&2
		exit 3
	fi
	echo "installing the reference dbt with $script (about a minute)" >&2
	exec bash "$script" /opt/dbt-reference
fi
if [ "${1:-}" = citus ]; then
	for share in /usr/share/postgresql/*/extension; do
		[ -f "$share/citus.control" ] && exit 0
	done
	script=$(citus_script)
	if [ ! -x "$script" ]; then
		echo "citus: not installed, and no install script at $script: the Citus tests will be skipped" >&2
		exit 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "citus: not installed; install it with: sudo $script" >&2
		exit 3
	fi
	echo "installing Citus with $script (a few minutes)" >&2
	exec "$script"
fi

stage=${1:-build}
missing=()
need() { # need PACKAGE PATH...: PACKAGE is missing unless one of the paths exists
	local pkg=$1; shift
	local p
	for p in "$@"; do [ -e "$p" ] && return 0; done
	missing+=("$pkg")
}

if [ "$stage" = server ]; then
	need postgresql /usr/lib/postgresql/*/bin/initdb
else
	need gcc /usr/bin/cc
	need make /usr/bin/make
	need pkg-config /usr/bin/pkg-config
	need libpq-dev /usr/include/postgresql/libpq-fe.h
	need libcsv-dev /usr/include/csv.h
	need libyaml-dev /usr/include/yaml.h
	need libpcre2-dev /usr/include/pcre2.h
	need libssl-dev /usr/include/openssl/evp.h # md5 for dqcheck's long test names
fi
if [ "$stage" = run ]; then
	need postgresql-client /usr/bin/psql
fi
if [ "$stage" = test ] || [ "$stage" = bench ]; then
	need bats /usr/bin/bats
	need bats-assert /usr/lib/bats/bats-assert/load.bash
	need bats-support /usr/lib/bats/bats-support/load.bash
	need postgresql /usr/lib/postgresql/*/bin/initdb
	need postgresql-client /usr/bin/psql
	need valgrind /usr/bin/valgrind
	need util-linux /usr/bin/script
	need jq /usr/bin/jq
	need docker-compose /usr/bin/docker-compose
	need libxml2-utils /usr/bin/xmllint # dqcheck's tests check --junit with xmllint
	need time /usr/bin/time # pgload's tests measure its peak memory
fi
if [ "$stage" = fuzz ]; then
	need clang /usr/bin/clang
	need libclang-rt-14-dev /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a
fi
if [ "$stage" = bench ]; then
	need hyperfine /usr/bin/hyperfine
	need pgloader /usr/bin/pgloader
fi

[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages; install them with:" >&2
	echo "  sudo apt-get install -y ${missing[*]}" >&2
	exit 3
fi
# One line on the terminal; apt's and dpkg's hundreds go to a log, shown
# only in part when something fails.
log=$(cd "$(dirname "$0")/.." && pwd)/target/ensure-deps.log
mkdir -p "$(dirname "$log")"
echo "installing ${missing[*]} with apt-get (its output: $log)" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >>"$log" 2>&1; then
	echo "apt-get failed; the end of $log:" >&2
	tail -n 20 "$log" >&2
	exit 3
fi
