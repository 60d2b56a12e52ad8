/* SPDX-License-Identifier: MIT
 * Open-addressing hash set over an append-only arena; see keyset.h.
 *
 * The table is two arrays over the same slots: a byte of tag per slot (0:
 * empty; else 8 bits of the hash) and, beside it, where the slot's entry
 * sits in the arena. A probe walks the tag bytes only, and reads the arena
 * only when a tag matches. With millions of keys each probe lands on a
 * random slot: the tag bytes of 4 million slots (4 MiB) stay in cache and
 * within the TLB's reach, where 8-byte slots (32 MiB) did not, and the
 * offset array is touched only to write a new key, which can be fetched
 * early (keyset_prefetch). Measured on 3 million sale_ids with the work
 * around it left out, that halved what the set cost.
 *
 * Entries are 4-byte aligned, so a 32-bit offset counted in 4-byte units
 * reaches 16 GiB of arena. Each keeps the top half of its hash, which is
 * all a resize needs to place it again (and its tag): growing from 1024
 * slots to millions on a pipe, where the size cannot be foreseen, then
 * walks the arena in order and hashes nothing. */
#include "keyset.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "exitcode.h"
#include "log.h"
#include "xalloc.h"

struct keyset {
	uint8_t *tags;      /* per slot: 0 empty, else tag_of(hash) */
	uint32_t *where;    /* per slot: the entry's arena offset / ENTRY_ALIGN */
	size_t mask, count;
	unsigned bits;      /* log2 of the number of slots */
	char *arena;
	size_t arena_len, arena_cap;
};

enum {
	ENTRY_HEADER = 16,  /* uint64 line, uint32 length, uint32 hash >> 32, then the key */
	ENTRY_ALIGN = 4,
	MIN_BITS = 10,
};
#define ARENA_MAX ((uint64_t)ENTRY_ALIGN << 32)

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

/* A zeroed table of n slots, tags then offsets, in one allocation. Large
 * ones come straight from mmap, already zero, and ask for transparent huge
 * pages, which keep even the offset array's random writes mostly TLB hits. */
enum { MMAP_MIN = 4u << 20 };

static size_t table_bytes(size_t n)
{
	return n * (sizeof(uint8_t) + sizeof(uint32_t));
}

static void table_new(struct keyset *k, unsigned bits)
{
	size_t n = (size_t)1 << bits, bytes = table_bytes(n);
	void *p;
	if (bytes < MMAP_MIN) {
		p = calloc(1, bytes);
	} else {
		p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			p = NULL;
		else
			madvise(p, bytes, MADV_HUGEPAGE);
	}
	if (!p)
		die(EXIT_OPER, "out of memory");
	k->bits = bits;
	k->mask = n - 1;
	k->tags = p;
	k->where = (uint32_t *)(k->tags + n); /* n is a power of two from 1024 on: aligned */
}

static void table_free(uint8_t *tags, size_t n)
{
	if (table_bytes(n) < MMAP_MIN)
		free(tags);
	else
		munmap(tags, table_bytes(n));
}

struct keyset *keyset_new(void)
{
	/* The main thread updates it for every key while the checking
	 * threads run: a line of its own. */
	struct keyset *k = xcalloc_lines(sizeof *k);
	table_new(k, MIN_BITS);
	return k;
}

void keyset_free(struct keyset *k)
{
	if (!k)
		return;
	table_free(k->tags, k->mask + 1);
	free(k->arena);
	free(k);
}

/* More than 4/5 full with n keys. Linear probing stays cheap that full
 * because a probe compares tag bytes, 64 to a cache line, and rarely reads
 * a key. */
static bool too_full(size_t slots, size_t n)
{
	return n * 5 > slots * 4;
}

/* The first slot to probe for a hash: its top bits. */
static size_t home(const struct keyset *k, uint64_t h)
{
	return (size_t)(h >> (64 - k->bits));
}

/* The tag: bits 32 to 39 of the hash, never 0 (an empty slot). They are
 * kept in the entry with the rest of the top half, and home() uses other
 * bits while the table has up to 2^24 slots. */
static uint8_t tag_of(uint64_t h)
{
	uint8_t t = (uint8_t)(h >> 32);
	return t ? t : 1;
}

static const char *entry(const struct keyset *k, size_t slot)
{
	return k->arena + (size_t)k->where[slot] * ENTRY_ALIGN;
}

static uint32_t entry_len(const char *e)
{
	uint32_t len;
	memcpy(&len, e + 8, 4);
	return len;
}

static bool entry_is(const char *e, const char *key, size_t len)
{
	return entry_len(e) == len && memcmp(e + ENTRY_HEADER, key, len) == 0;
}

void keyset_prefetch(const struct keyset *k, uint64_t h)
{
	size_t i = home(k, h);
	__builtin_prefetch(&k->tags[i]);
	__builtin_prefetch(&k->where[i], 1); /* written if the key is new */
}

/* The slot that holds the key, or the empty slot where it would go. */
static size_t probe(const struct keyset *k, uint64_t h, const char *key, size_t len)
{
	uint8_t t = tag_of(h);
	size_t i = home(k, h);
	for (uint8_t s; (s = k->tags[i]); i = (i + 1) & k->mask)
		if (s == t && entry_is(entry(k, i), key, len))
			break;
	return i;
}

/* The line stored with the key in slot i, or 0 for an empty slot. */
static uint64_t slot_line(const struct keyset *k, size_t i)
{
	uint64_t line = 0;
	if (k->tags[i])
		memcpy(&line, entry(k, i), 8);
	return line;
}

uint64_t keyset_find(const struct keyset *k, uint64_t h, const char *key, size_t len)
{
	return slot_line(k, probe(k, h, key, len));
}

static void set_slot(struct keyset *k, size_t i, uint64_t h, size_t off)
{
	k->tags[i] = tag_of(h);
	k->where[i] = (uint32_t)(off / ENTRY_ALIGN);
}

static void place(struct keyset *k, uint64_t h, size_t off)
{
	size_t i = home(k, h);
	while (k->tags[i])
		i = (i + 1) & k->mask;
	set_slot(k, i, h, off);
}

static size_t entry_size(size_t len)
{
	return (ENTRY_HEADER + len + ENTRY_ALIGN - 1) / ENTRY_ALIGN * ENTRY_ALIGN;
}

/* Appends an entry to the arena; returns its offset. */
static size_t append_entry(struct keyset *k, uint64_t h, const char *key, size_t len, uint64_t line)
{
	size_t need = entry_size(len);
	if (k->arena_len + need > ARENA_MAX) {
		die(EXIT_OPER, "too many unique keys to remember");
	}
	if (k->arena_len + need > k->arena_cap) {
		size_t cap = k->arena_cap ? k->arena_cap : 65536;
		while (cap < k->arena_len + need)
			cap *= 2;
		k->arena = xrealloc(k->arena, cap);
		k->arena_cap = cap;
	}
	char *e = k->arena + k->arena_len;
	uint32_t len32 = (uint32_t)len, hash_hi = (uint32_t)(h >> 32);
	memcpy(e, &line, 8);
	memcpy(e + 8, &len32, 4);
	memcpy(e + 12, &hash_hi, 4);
	memcpy(e + ENTRY_HEADER, key, len);
	size_t off = k->arena_len;
	k->arena_len += need;
	k->count++;
	return off;
}

/* Rebuilds the table with 2^bits slots, walking the arena in order rather
 * than the old table at random. The top half of the hash each entry keeps
 * places it in up to 2^32 slots; beyond that the key is hashed again. */
static void resize(struct keyset *k, unsigned bits)
{
	uint8_t *old = k->tags;
	size_t old_n = k->mask + 1;
	table_new(k, bits);
	table_free(old, old_n);
	for (size_t off = 0; off < k->arena_len;) {
		const char *e = k->arena + off;
		uint32_t len = entry_len(e), hash_hi;
		memcpy(&hash_hi, e + 12, 4);
		place(k, bits <= 32 ? (uint64_t)hash_hi << 32 : keyset_hash(e + ENTRY_HEADER, len), off);
		off += entry_size(len);
	}
}

static __attribute__((noinline)) void grow_to(struct keyset *k, size_t n)
{
	unsigned bits = k->bits;
	while (too_full((size_t)1 << bits, n))
		bits++;
	resize(k, bits);
}

static inline void make_room(struct keyset *k, size_t n)
{
	if (too_full(k->mask + 1, n))
		grow_to(k, n);
}

void keyset_add(struct keyset *k, uint64_t h, const char *key, size_t len, uint64_t line)
{
	make_room(k, k->count + 1);
	place(k, h, append_entry(k, h, key, len, line));
}

uint64_t keyset_find_or_add(struct keyset *k, uint64_t h, const char *key, size_t len, uint64_t line)
{
	make_room(k, k->count + 1);
	size_t i = probe(k, h, key, len);
	if (k->tags[i])
		return slot_line(k, i);
	set_slot(k, i, h, append_entry(k, h, key, len, line));
	return 0;
}

size_t keyset_count(const struct keyset *k)
{
	return k->count;
}

size_t keyset_bytes(const struct keyset *k)
{
	return table_bytes(k->mask + 1) + k->arena_cap;
}

void keyset_reserve(struct keyset *k, size_t n)
{
	make_room(k, n);
}
