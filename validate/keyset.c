/* SPDX-License-Identifier: MIT
 * Open-addressing hash set over an append-only arena; see keyset.h.
 * Slots hold the entry's arena offset (+1, so 0 is empty) in the low 40 bits
 * and the top 24 bits of the hash above them. The slot position comes from
 * those same top bits, so most mismatches are settled without touching the
 * arena, and growing the table (up to 2^24 slots) never reads the arena:
 * with millions of keys, those reads are cache misses that dominated. */
#include "keyset.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "xalloc.h"

struct keyset {
	uint64_t *slots;
	size_t mask, count;
	unsigned bits; /* log2 of the number of slots */
	char *arena;
	size_t arena_len, arena_cap;
};

enum { ENTRY_HEADER = 12 }; /* uint64 line, uint32 length */

static void oom(void)
{
	fputs("validate: out of memory\n", stderr);
	exit(3);
}

uint64_t keyset_hash(const char *s, size_t len)
{
	uint64_t h = 0x9E3779B97F4A7C15ULL ^ len;
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
		h ^= h >> 29;
		s += 8;
		len -= 8;
	}
	/* The last 0 to 7 bytes, without a memcpy of variable length (a call):
	 * two overlapping loads cover them, and len, in h, tells the cases apart. */
	uint64_t w = 0;
	if (len >= 4) {
		uint32_t lo, hi;
		memcpy(&lo, s, 4);
		memcpy(&hi, s + len - 4, 4);
		w = lo | (uint64_t)hi << 32;
	} else if (len) {
		w = (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[len / 2] << 8 |
		    (uint64_t)(unsigned char)s[len - 1] << 16;
	}
	h = (h ^ w) * 0x94D049BB133111EBULL;
	h ^= h >> 32;
	h *= 0xBF58476D1CE4E5B9ULL;
	return h ^ (h >> 29);
}

/* A zeroed slot table. Large ones come straight from mmap, already zero,
 * and ask for transparent huge pages: probes land on random slots, and with
 * 4 KiB pages nearly every probe into a table of millions of slots is also
 * a TLB miss. */
enum { MMAP_MIN = 4u << 20 };

static uint64_t *slots_new(size_t n)
{
	size_t bytes = n * sizeof(uint64_t);
	if (bytes < MMAP_MIN)
		return calloc(n, sizeof(uint64_t));
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

static void slots_free(uint64_t *slots, size_t n)
{
	if (n * sizeof(uint64_t) < MMAP_MIN)
		free(slots);
	else
		munmap(slots, n * sizeof(uint64_t));
}

struct keyset *keyset_new(void)
{
	struct keyset *k = xrealloc(NULL, sizeof *k);
	memset(k, 0, sizeof *k);
	k->bits = 10;
	k->mask = 1023;
	k->slots = slots_new(k->mask + 1);
	if (!k->slots)
		oom();
	return k;
}

void keyset_free(struct keyset *k)
{
	if (!k)
		return;
	slots_free(k->slots, k->mask + 1);
	free(k->arena);
	free(k);
}

#define TAG(h) ((h) >> 40)
#define SLOT_OFF(s) (((s) & 0xFFFFFFFFFFULL) - 1)

/* More than 4/5 full with n keys. Linear probing stays cheap that full
 * because a probe compares tags in the slot and rarely reads a key, and
 * the dozen or so slots a miss probes share two cache lines; the table is
 * half the size it would be at 1/2, which matters with millions of keys. */
static bool too_full(const struct keyset *k, size_t n)
{
	return n * 5 > (k->mask + 1) * 4;
}

/* The first slot to probe for a hash. */
static size_t home(const struct keyset *k, uint64_t h)
{
	return (size_t)(h >> (64 - k->bits));
}

static bool entry_is(const struct keyset *k, uint64_t slot, const char *key, size_t len)
{
	const char *e = k->arena + SLOT_OFF(slot);
	uint32_t elen;
	memcpy(&elen, e + 8, 4);
	return elen == len && memcmp(e + ENTRY_HEADER, key, len) == 0;
}

void keyset_prefetch(const struct keyset *k, uint64_t h)
{
	__builtin_prefetch(&k->slots[home(k, h)]);
}

/* The slot that holds the key, or the empty slot where it would go. */
static size_t probe(const struct keyset *k, uint64_t h, const char *key, size_t len)
{
	size_t i = home(k, h);
	for (uint64_t s; (s = k->slots[i]); i = (i + 1) & k->mask)
		if ((s >> 40) == TAG(h) && entry_is(k, s, key, len))
			break;
	return i;
}

/* The line stored with the key in slot s, or 0 for an empty slot. */
static uint64_t slot_line(const struct keyset *k, uint64_t s)
{
	uint64_t line = 0;
	if (s)
		memcpy(&line, k->arena + SLOT_OFF(s), 8);
	return line;
}

uint64_t keyset_find(const struct keyset *k, uint64_t h, const char *key, size_t len)
{
	return slot_line(k, k->slots[probe(k, h, key, len)]);
}

static void place(struct keyset *k, uint64_t h, uint64_t off)
{
	size_t i = home(k, h);
	while (k->slots[i])
		i = (i + 1) & k->mask;
	k->slots[i] = TAG(h) << 40 | (off + 1);
}

/* Appends an entry to the arena; returns its offset. */
static uint64_t append_entry(struct keyset *k, const char *key, size_t len, uint64_t line)
{
	size_t need = ENTRY_HEADER + len;
	if (k->arena_len + need > k->arena_cap) {
		size_t cap = k->arena_cap ? k->arena_cap : 65536;
		while (cap < k->arena_len + need)
			cap *= 2;
		k->arena = xrealloc(k->arena, cap);
		k->arena_cap = cap;
	}
	if (k->arena_len + need >= (1ULL << 40)) {
		fputs("validate: too many unique keys to remember\n", stderr);
		exit(3);
	}
	char *e = k->arena + k->arena_len;
	uint32_t len32 = (uint32_t)len;
	memcpy(e, &line, 8);
	memcpy(e + 8, &len32, 4);
	memcpy(e + ENTRY_HEADER, key, len);
	uint64_t off = k->arena_len;
	k->arena_len += need;
	k->count++;
	return off;
}

static void grow(struct keyset *k)
{
	uint64_t *old = k->slots;
	size_t old_n = k->mask + 1;
	k->bits++;
	k->mask = old_n * 2 - 1;
	k->slots = slots_new(k->mask + 1);
	if (!k->slots)
		oom();
	for (size_t i = 0; i < old_n; i++) {
		if (!old[i])
			continue;
		uint64_t h;
		if (k->bits <= 24) { /* the tag holds all the bits the position needs */
			h = (old[i] >> 40) << 40;
		} else {
			const char *e = k->arena + SLOT_OFF(old[i]);
			uint32_t len;
			memcpy(&len, e + 8, 4);
			h = keyset_hash(e + ENTRY_HEADER, len);
		}
		place(k, h, SLOT_OFF(old[i]));
	}
	slots_free(old, old_n);
}

void keyset_add(struct keyset *k, uint64_t h, const char *key, size_t len, uint64_t line)
{
	if (too_full(k, k->count + 1))
		grow(k);
	place(k, h, append_entry(k, key, len, line));
}

uint64_t keyset_find_or_add(struct keyset *k, uint64_t h, const char *key, size_t len, uint64_t line)
{
	if (too_full(k, k->count + 1))
		grow(k);
	size_t i = probe(k, h, key, len);
	if (k->slots[i])
		return slot_line(k, k->slots[i]);
	k->slots[i] = TAG(h) << 40 | (append_entry(k, key, len, line) + 1);
	return 0;
}

size_t keyset_count(const struct keyset *k)
{
	return k->count;
}

size_t keyset_bytes(const struct keyset *k)
{
	return (k->mask + 1) * sizeof *k->slots + k->arena_cap;
}

void keyset_reserve(struct keyset *k, size_t n)
{
	while (too_full(k, n))
		grow(k);
}
