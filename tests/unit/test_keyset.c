/* SPDX-License-Identifier: MIT
 * Unit tests for validate's key set (validate/keyset.c): keys of every
 * length survive the set growing from its smallest size, keys that share a
 * slot and a tag are still told apart by their bytes, and each key keeps
 * the line it was first added with. */
#include <stdio.h>
#include <stdlib.h>

#include "../../validate/keyset.c"
#include "unit.h"

/* The i-th test key: lengths 0 to 40, contents from i. */
static size_t key_of(size_t i, char *buf)
{
	size_t len = i % 41;
	unsigned long long x = i * 0x9E3779B97F4A7C15ULL;
	for (size_t j = 0; j < len; j++, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
		buf[j] = (char)(x >> 56);
	/* Distinct for distinct i: the index is spelled into keys long enough. */
	if (len >= 8)
		memcpy(buf, &i, 8);
	return len;
}

static void grows_and_keeps_lines(void)
{
	enum { N = 200000 };
	struct keyset *k = keyset_new();
	char buf[64];
	size_t added = 0;
	for (size_t i = 0; i < N; i++) {
		size_t len = key_of(i, buf);
		uint64_t h = keyset_hash(buf, len);
		uint64_t first = keyset_find(k, h, buf, len);
		uint64_t got = keyset_find_or_add(k, h, buf, len, i + 1);
		CHECK(got == first);
		if (len >= 8) /* spelled from i: new */
			CHECK(got == 0);
		added += got == 0;
	}
	CHECK(keyset_count(k) == added);
	for (size_t i = 0; i < N; i++) {
		size_t len = key_of(i, buf);
		uint64_t line = keyset_find(k, keyset_hash(buf, len), buf, len);
		CHECK(line >= 1 && line <= i + 1);
		if (len >= 8)
			CHECK(line == i + 1);
	}
	memcpy(buf, "not a key", 9);
	CHECK(keyset_find(k, keyset_hash(buf, 9), buf, 9) == 0);
	keyset_free(k);
}

static void empty_key_is_a_key(void)
{
	struct keyset *k = keyset_new();
	CHECK(keyset_find(k, keyset_hash("", 0), "", 0) == 0);
	CHECK(keyset_find_or_add(k, keyset_hash("", 0), "", 0, 7) == 0);
	CHECK(keyset_find(k, keyset_hash("", 0), "", 0) == 7);
	CHECK(keyset_find(k, keyset_hash("a", 1), "a", 1) == 0);
	keyset_free(k);
}

/* One hash for every key: the same home slot and the same tag, so only
 * the keys' bytes (and lengths) tell them apart, before and after a resize
 * (which places keys by the hash they were added with). */
static void same_slot_and_tag(void)
{
	struct keyset *k = keyset_new();
	keyset_reserve(k, 1000);
	const char *keys[] = { "a", "ab", "abc", "abcd", "abcde", "b", "ba", "A" };
	size_t n = sizeof keys / sizeof *keys;
	for (size_t i = 0; i < n; i++)
		CHECK(keyset_find_or_add(k, 0x1234, keys[i], strlen(keys[i]), i + 1) == 0);
	for (size_t i = 0; i < n; i++)
		CHECK(keyset_find(k, 0x1234, keys[i], strlen(keys[i])) == i + 1);
	CHECK(keyset_find(k, 0x1234, "abcdef", 6) == 0);
	CHECK(keyset_find(k, 0x1234, "", 0) == 0);
	/* The table wraps: a home in the last slot probes on from slot 0. */
	uint64_t last = ~(uint64_t)0;
	for (size_t i = 0; i < n; i++)
		CHECK(keyset_find_or_add(k, last, keys[i], strlen(keys[i]), 100 + i) == 0);
	for (size_t i = 0; i < n; i++)
		CHECK(keyset_find(k, last, keys[i], strlen(keys[i])) == 100 + i);
	keyset_reserve(k, 100000);
	for (size_t i = 0; i < n; i++) {
		CHECK(keyset_find(k, 0x1234, keys[i], strlen(keys[i])) == i + 1);
		CHECK(keyset_find(k, last, keys[i], strlen(keys[i])) == 100 + i);
	}
	keyset_free(k);
}

/* keyset_add and a reserve made after keys were added: they are found at
 * their new places, and the memory stays near the documented cost. */
static void reserve_after_adds(void)
{
	struct keyset *k = keyset_new();
	char buf[64];
	for (size_t i = 0; i < 5000; i++) {
		snprintf(buf, sizeof buf, "%016zx", i);
		keyset_add(k, keyset_hash(buf, 16), buf, 16, i + 1);
	}
	keyset_reserve(k, 1000000);
	for (size_t i = 0; i < 5000; i++) {
		snprintf(buf, sizeof buf, "%016zx", i);
		CHECK(keyset_find(k, keyset_hash(buf, 16), buf, 16) == i + 1);
	}
	for (size_t i = 5000; i < 1000000; i++) {
		snprintf(buf, sizeof buf, "%016zx", i);
		keyset_add(k, keyset_hash(buf, 16), buf, 16, i + 1);
	}
	CHECK(keyset_count(k) == 1000000);
	/* 32 bytes of entry, 5 bytes a slot at a load of at least 2/5, and
	 * an arena at most twice its use. */
	CHECK(keyset_bytes(k) <= 1000000 * (2 * 32 + 13));
	keyset_free(k);
}

int main(void)
{
	RUN(grows_and_keeps_lines);
	RUN(empty_key_is_a_key);
	RUN(same_slot_and_tag);
	RUN(reserve_after_adds);
	return UNIT_END();
}
