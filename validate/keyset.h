/* SPDX-License-Identifier: MIT
 * A set of byte strings, each remembered with the line it was first seen
 * on: the memory behind unique, primaryKey, uniqueKeys and foreign keys.
 *
 * Cost per key: its bytes and a 16-byte header, rounded up to 4, and one
 * 5-byte slot (a tag byte and a 32-bit offset) at a load factor between
 * 2/5 and 4/5, so 6 to 13 bytes of slots: for a 16-byte sale_id about 38
 * to 45 bytes. */
#ifndef VALIDATE_KEYSET_H
#define VALIDATE_KEYSET_H

#include <stddef.h>
#include <stdint.h>

struct keyset;

struct keyset *keyset_new(void);
void keyset_free(struct keyset *k);
/* The key's hash, for the calls below: they take no other (the set may
 * hash its keys again when it grows). */
uint64_t keyset_hash(const char *key, size_t len);
/* Starts loading the slot a later find or add will look at: with millions
 * of keys that slot is a cache miss, which other work can hide. */
void keyset_prefetch(const struct keyset *k, uint64_t hash);
/* The line the key was added with, or 0 when it is not in the set. */
uint64_t keyset_find(const struct keyset *k, uint64_t hash, const char *key, size_t len);
/* The line stored with the key, if present; else adds it with line (not 0)
 * and returns 0. One probe instead of keyset_find() and keyset_add(). */
uint64_t keyset_find_or_add(struct keyset *k, uint64_t hash, const char *key, size_t len, uint64_t line);
/* Adds the key (it must not be present yet); line must not be 0. */
void keyset_add(struct keyset *k, uint64_t hash, const char *key, size_t len, uint64_t line);
size_t keyset_count(const struct keyset *k);
/* Makes room for n keys at once, sparing the rehashing of growing step by
 * step when the caller can tell how many will come. */
void keyset_reserve(struct keyset *k, size_t n);
/* Bytes held, for the summary. */
size_t keyset_bytes(const struct keyset *k);

#endif
