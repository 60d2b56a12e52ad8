# SPDX-License-Identifier: MIT
# Builds every program directory that exists into bin/ against lib/.
#   make            build everything
#   make SAN=1      ASan + UBSan build into build/san/bin (tests: make test SAN=1)
#   make test       unit tests and bats tests, ending with "N passed, N failed"
#   make bench      benchmarks in bench/, one table
#   make install PREFIX=/usr/local DESTDIR=

SHELL    := /bin/bash
VERSION  = 0.1.0
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
CFLAGS  ?= -O2
CFLAGS  += -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
CPPFLAGS += -Ilib -DELT_VERSION='"$(VERSION)"' $(shell pkg-config --cflags libpq 2>/dev/null)
PQ_LIBS := $(shell pkg-config --libs libpq 2>/dev/null || echo -lpq)

ifeq ($(SAN),1)
BUILD   = build/san
CFLAGS  += -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
BINDIR  = build/san/bin
else
BUILD   = build/release
BINDIR  = bin
endif

# Programs are the directories holding a main file named after them.
PROGRAMS := $(patsubst %/,%,$(dir $(wildcard */*.c)))
PROGRAMS := $(sort $(foreach p,$(PROGRAMS),$(if $(wildcard $(p)/$(p).c),$(p))))
# Only the programs that talk to PostgreSQL link libpq; dqcheck also links
# libcrypto (libpq's own dependency) for the md5 in dbt's long test names,
# and modelrun for the sha256 checksums in its manifest.
PQ_PROGRAMS := pgload modelrun dqcheck

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/dbt_builtins.o
# The built-in dbt macros (Jinja in lib/dbt_builtins/) become a C string
# in build/gen/, so that the programs need no files beside them.
BUILTIN_SQL := $(sort $(wildcard lib/dbt_builtins/*.sql))
GEN_BUILTINS := build/gen/dbt_builtins.c
LIB_A   := $(BUILD)/libelt.a
BINS    := $(PROGRAMS:%=$(BINDIR)/%)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)

.PHONY: all deps test unit bench install clean
all: deps $(BINS)

deps:
	@scripts/ensure-deps.sh build

# Each object depends on the headers it includes, as the compiler lists
# them in a .d file beside it (-MMD); -MP keeps a header that is gone from
# breaking the build.
DEPFLAGS = -MMD -MP
$(BUILD)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(GEN_BUILTINS): $(BUILTIN_SQL) Makefile
	@mkdir -p $(dir $@)
	{ printf '/* made by the Makefile from lib/dbt_builtins/ */\nconst char *const dbt_builtins_files[] = {\n'; \
	  for f in $(BUILTIN_SQL); do \
		printf '"%s",\n' "$$f"; \
		sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/^/"/' -e 's/$$/\\n"/' "$$f"; \
		printf ',\n'; \
	  done; printf '0 };\n'; } >$@.tmp && mv $@.tmp $@

$(BUILD)/gen/dbt_builtins.o: $(GEN_BUILTINS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

.SECONDARY:
.SECONDEXPANSION:
$(BINDIR)/%: $$(addprefix $(BUILD)/,$$(subst .c,.o,$$(wildcard $$*/*.c))) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB_A) -lcsv -lyaml -lpcre2-8 -lpthread $(if $(filter $*,$(PQ_PROGRAMS)),$(PQ_LIBS)) $(if $(filter dqcheck modelrun,$*),-lcrypto) -lm

$(BUILD)/unit/%: tests/unit/%.c $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ $< $(LIB_A) -lcsv -lyaml -lpcre2-8 -lpthread $(PQ_LIBS) -lm

-include $(patsubst %.c,$(BUILD)/%.d,$(wildcard */*.c)) $(UNIT_BINS:=.d)

unit: $(UNIT_BINS)

test: all unit
	@scripts/ensure-deps.sh test
	@ELT_BIN=$(abspath $(BINDIR)) ELT_UNIT="$(UNIT_BINS)" ELT_SAN=$(SAN) tests/run.sh

bench: all
	@scripts/ensure-deps.sh bench
	@bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(wildcard docs/man/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf build bin

# libFuzzer targets in tests/fuzz/, each run FUZZ_SECONDS (default 60) over
# its seed corpus in tests/fuzz/corpus/<name>/; new inputs it finds go to
# build/fuzz/corpus/<name>/, crashes to build/fuzz/.
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_CFLAGS = -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Ilib \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

build/fuzz/%: tests/fuzz/%.c $(LIB_SRC) $(GEN_BUILTINS) $(wildcard lib/*.h) | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(shell pkg-config --cflags libpq) -DELT_VERSION='"$(VERSION)"' -o $@ $< $(LIB_SRC) $(GEN_BUILTINS) \
		-lcsv -lyaml -lpcre2-8 -lpthread -lm $(PQ_LIBS)

.PHONY: fuzz
fuzz: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do \
		name=$${f##*/fuzz_}; mkdir -p build/fuzz/corpus/$$name; \
		echo "== fuzz $$name for $(FUZZ_SECONDS) s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 -artifact_prefix=build/fuzz/ \
			build/fuzz/corpus/$$name tests/fuzz/corpus/$$name 2>&1 | \
			grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|==[0-9]+==ERROR|SUMMARY|INFO: fuzzed|.*Test unit written)' || true; \
		test "$${PIPESTATUS[0]}" -eq 0 || exit 1; \
	done
