/* SPDX-License-Identifier: MIT
 * modules.re: Python's re through PCRE2; see dbtmodules.h. A pattern is
 * compiled for each call (a model's patterns are few and short), with
 * Python's flags mapped onto PCRE2's and Unicode on unless re.ASCII. The
 * walk over matches follows Python's rules for empty matches (one may
 * follow a non-empty one at the same place), and positions are given in
 * characters, as Python counts them. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "dbtmodules_int.h"

#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

/* Python's flag values. */
enum { RE_I = 2, RE_M = 8, RE_S = 16, RE_X = 64, RE_A = 256 };

struct rx {
	pcre2_code *code;
	pcre2_match_data *md;
	const char *pattern;
	long flags;
	uint32_t ngroups;
};

static void rx_free(struct rx *x)
{
	pcre2_match_data_free(x->md);
	pcre2_code_free(x->code);
}

/* Compiles a pattern given as a string or a compiled pattern, with
 * Python's flags. Python's \Z (the very end) is PCRE2's \z; the rest of
 * Python's syntax PCRE2 reads alike ((?P<name>...), (?P=name), \A, \b,
 * lookarounds, lazy quantifiers). */
static int rx_compile(struct tmpl_render *r, const struct tmpl_call *c, const struct tval *pat, long flags,
		      struct rx *x)
{
	memset(x, 0, sizeof *x);
	if (pat && strcmp(dbtm_obj_type(pat), "pattern") == 0) {
		flags |= dbtm_num_attr(pat, "flags");
		pat = tval_get(pat, "pattern");
	}
	if (!pat || pat->kind != TV_STR) {
		tmpl_fail(r, c->line, "%s(): the pattern must be a string", c->name);
		return -1;
	}
	struct buf p = { 0 };
	for (size_t i = 0; i < pat->n; i++) {
		if (pat->s[i] == '\\' && i + 1 < pat->n) {
			buf_addc(&p, '\\');
			buf_addc(&p, pat->s[i + 1] == 'Z' ? 'z' : pat->s[i + 1]);
			i++;
		} else {
			buf_addc(&p, pat->s[i]);
		}
	}
	uint32_t opt = PCRE2_UTF | ((flags & RE_A) ? 0 : PCRE2_UCP) | ((flags & RE_I) ? PCRE2_CASELESS : 0) |
		       ((flags & RE_M) ? PCRE2_MULTILINE : 0) | ((flags & RE_S) ? PCRE2_DOTALL : 0) |
		       ((flags & RE_X) ? PCRE2_EXTENDED : 0);
	int code;
	PCRE2_SIZE off;
	x->code = pcre2_compile((PCRE2_SPTR)p.data, p.len, opt, &code, &off, NULL);
	buf_free(&p);
	if (!x->code) {
		char msg[160];
		pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof msg);
		tmpl_fail(r, c->line, "%s(): re.error: %s at position %zu of '%s'", c->name, msg, (size_t)off, pat->s);
		return -1;
	}
	pcre2_pattern_info(x->code, PCRE2_INFO_CAPTURECOUNT, &x->ngroups);
	x->md = pcre2_match_data_create_from_pattern(x->code, NULL);
	x->pattern = pat->s;
	x->flags = flags;
	return 0;
}

/* The next match in s from byte start: 1, 0 for none, -1 after a
 * failure. After an empty match at start, notempty asks for a non-empty
 * one there (Python's rule for the match after an empty one). */
static int rx_next(struct tmpl_render *r, int line, struct rx *x, const struct tval *s, size_t start,
		   uint32_t opts)
{
	int rc = pcre2_match(x->code, (PCRE2_SPTR)s->s, s->n, start, opts, x->md, NULL);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		char msg[160];
		pcre2_get_error_message(rc, (PCRE2_UCHAR *)msg, sizeof msg);
		tmpl_fail(r, line, "re: matching '%s': %s", x->pattern, msg);
		return -1;
	}
	return 1;
}

/* Group g of the last match: its bytes, or false when it took no part. */
static bool rx_group(const struct rx *x, uint32_t g, size_t *b, size_t *e)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(x->md);
	if (g > x->ngroups || ov[2 * g] == PCRE2_UNSET)
		return false;
	*b = ov[2 * g];
	*e = ov[2 * g + 1];
	return true;
}

static struct tval rx_group_value(struct tmpl_render *r, const struct rx *x, const struct tval *s, uint32_t g,
				  const struct tval *dflt)
{
	size_t b = 0, e = 0;
	if (!rx_group(x, g, &b, &e))
		return dflt ? *dflt : (struct tval){ .kind = TV_NONE };
	return tval_str(r, s->s + b, e - b);
}

/* Python counts characters, not bytes. */
static int64_t char_index(const struct tval *s, size_t byte)
{
	int64_t n = 0;
	for (size_t i = 0; i < byte && i < s->n; i++)
		n += ((unsigned char)s->s[i] & 0xC0) != 0x80;
	return n;
}

static int native_match(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c,
			struct tval *out);

/* A match object: groups as a list, spans as a list of (start, end) in
 * characters, group names as a dict of numbers. */
static struct tval match_value(struct tmpl_render *r, const struct rx *x, const struct tval *s)
{
	static const char *const methods[] = { "group", "groups", "groupdict", "start", "end", "span", NULL };
	struct tval groups = tval_list_new(r, x->ngroups + 1), spans = tval_list_new(r, x->ngroups + 1);
	for (uint32_t g = 0; g <= x->ngroups; g++) {
		groups.items[g] = rx_group_value(r, x, s, g, NULL);
		size_t b = 0, e = 0;
		bool in = rx_group(x, g, &b, &e);
		struct tval sp = tval_list_new(r, 2);
		sp.tuple = true;
		sp.items[0] = dbtm_num(in ? char_index(s, b) : -1);
		sp.items[1] = dbtm_num(in ? char_index(s, e) : -1);
		spans.items[g] = sp;
	}
	uint32_t nnames = 0, entry = 0;
	PCRE2_SPTR table = NULL;
	pcre2_pattern_info(x->code, PCRE2_INFO_NAMECOUNT, &nnames);
	pcre2_pattern_info(x->code, PCRE2_INFO_NAMEENTRYSIZE, &entry);
	pcre2_pattern_info(x->code, PCRE2_INFO_NAMETABLE, &table);
	struct tval names = tval_dict_new(r, nnames);
	for (uint32_t i = 0; i < nnames; i++) {
		const unsigned char *e = table + i * entry;
		names.keys[i] = tval_str(r, (const char *)e + 2, strlen((const char *)e + 2)).s;
		names.items[i] = dbtm_num(e[0] << 8 | e[1]);
	}
	struct buf rep = { 0 };
	buf_printf(&rep, "<re.Match object; span=(%lld, %lld), match='%s'>", (long long)spans.items[0].items[0].num,
		   (long long)spans.items[0].items[1].num, groups.items[0].s);
	struct tval o = dbtm_obj_new(r, buf_str(&rep), 12);
	buf_free(&rep);
	size_t i = 0;
	dbtm_obj_set(&o, &i, "_type", dbtm_str(r, "match"));
	dbtm_obj_set(&o, &i, "_groups", groups);
	dbtm_obj_set(&o, &i, "_spans", spans);
	dbtm_obj_set(&o, &i, "_names", names);
	dbtm_obj_set(&o, &i, "string", *s);
	dbtm_obj_methods(r, &o, &i, methods, native_match);
	return o;
}

/* The group a match method names (a number or a group's name), or -1
 * after tmpl_fail(). */
static long match_group_index(struct tmpl_render *r, int line, const struct tval *self, const struct tval *g)
{
	const struct tval *groups = tval_get(self, "_groups"), *names = tval_get(self, "_names");
	if (!g)
		return 0;
	if (g->kind == TV_NUM && !g->real && g->num >= 0 && (size_t)g->num < groups->n)
		return (long)g->num;
	const struct tval *k = g->kind == TV_STR ? tval_get(names, g->s) : NULL;
	if (k)
		return (long)k->num;
	tmpl_fail(r, line, "IndexError: no such group");
	return -1;
}

static int native_match(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c,
			struct tval *out)
{
	const struct tval *groups = tval_get(self, "_groups"), *spans = tval_get(self, "_spans");
	const char *m = c->name;
	if (strcmp(m, "groups") == 0 || strcmp(m, "groupdict") == 0) {
		const struct tval *dflt = tmpl_call_arg(c, 0, "default");
		if (m[5] == 'd') {
			const struct tval *names = tval_get(self, "_names");
			*out = tval_dict_new(r, names->n);
			for (size_t i = 0; i < names->n; i++) {
				const struct tval *g = &groups->items[(size_t)names->items[i].num];
				out->keys[i] = names->keys[i];
				out->items[i] = g->kind == TV_NONE && dflt ? *dflt : *g;
			}
			return 0;
		}
		*out = tval_list_new(r, groups->n - 1);
		out->tuple = true;
		for (size_t i = 1; i < groups->n; i++)
			out->items[i - 1] = groups->items[i].kind == TV_NONE && dflt ? *dflt : groups->items[i];
		return 0;
	}
	if (strcmp(m, "group") == 0 && c->nargs > 1) {
		*out = tval_list_new(r, c->nargs);
		out->tuple = true;
		for (size_t i = 0; i < c->nargs; i++) {
			long g = match_group_index(r, c->line, self, &c->args[i]);
			if (g < 0)
				return -1;
			out->items[i] = groups->items[g];
		}
		return 0;
	}
	long g = match_group_index(r, c->line, self, tmpl_call_arg(c, 0, "group"));
	if (g < 0)
		return -1;
	const struct tval *sp = &spans->items[g];
	if (strcmp(m, "group") == 0)
		*out = groups->items[g];
	else if (strcmp(m, "start") == 0)
		*out = sp->items[0];
	else if (strcmp(m, "end") == 0)
		*out = sp->items[1];
	else
		*out = *sp;
	return 0;
}

/* Appends repl with its group references filled in from the last match,
 * as Python's re.sub() reads a replacement string: \1 .. \99, \g<n>,
 * \g<name>, and the escapes \n \t \r \f \v \a \b \\. */
static int expand_repl(struct tmpl_render *r, int line, const struct rx *x, const struct tval *s,
		       const struct tval *repl, struct buf *out)
{
	const char *p = repl->s, *end = repl->s + repl->n;
	while (p < end) {
		if (*p != '\\' || p + 1 == end) {
			buf_addc(out, *p++);
			continue;
		}
		char e = p[1];
		p += 2;
		long g = -1;
		if (e >= '0' && e <= '9') {
			g = e - '0';
			if (p < end && *p >= '0' && *p <= '9')
				g = g * 10 + (*p++ - '0');
		} else if (e == 'g' && p < end && *p == '<') {
			const char *close = memchr(p, '>', (size_t)(end - p));
			if (!close) {
				tmpl_fail(r, line, "re.error: missing '>' in a \\g<...> of the replacement");
				return -1;
			}
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)(close - p - 1), p + 1);
			char *ne;
			g = strtol(name, &ne, 10);
			if (*ne || !*name)
				g = pcre2_substring_number_from_name(x->code, (PCRE2_SPTR)name);
			if (g < 0) {
				tmpl_fail(r, line, "IndexError: unknown group name '%s' in the replacement", name);
				return -1;
			}
			p = close + 1;
		} else {
			static const char from[] = "ntrfvab\\", to[] = "\n\t\r\f\v\a\b\\";
			const char *k = strchr(from, e);
			if (k && e) {
				buf_addc(out, to[k - from]);
			} else if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
				tmpl_fail(r, line, "re.error: bad escape \\%c in the replacement", e);
				return -1;
			} else {
				buf_addc(out, '\\');
				buf_addc(out, e);
			}
			continue;
		}
		if ((uint32_t)g > x->ngroups) {
			tmpl_fail(r, line, "re.error: invalid group reference %ld in the replacement", g);
			return -1;
		}
		size_t b = 0, ge = 0;
		if (rx_group(x, (uint32_t)g, &b, &ge))
			buf_add(out, s->s + b, ge - b);
	}
	return 0;
}

/* Walks the matches of x in s as Python's finditer does, calling each
 * for every match (at most max of them; 0: all). */
typedef int (*match_fn)(struct tmpl_render *r, const struct tmpl_call *c, struct rx *x, const struct tval *s,
			void *ud);

static int rx_each(struct tmpl_render *r, const struct tmpl_call *c, struct rx *x, const struct tval *s, long max,
		   match_fn each, void *ud)
{
	size_t pos = 0;
	uint32_t opts = 0;
	long count = 0;
	while (pos <= s->n && (max <= 0 || count < max)) {
		int rc = rx_next(r, c->line, x, s, pos, opts);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			if (!opts)
				break;
			/* no non-empty match here: step over one character */
			opts = 0;
			if (pos >= s->n)
				break;
			pos++;
			while (pos < s->n && ((unsigned char)s->s[pos] & 0xC0) == 0x80)
				pos++;
			continue;
		}
		size_t b = 0, e = 0;
		rx_group(x, 0, &b, &e);
		if (each(r, c, x, s, ud))
			return -1;
		count++;
		pos = e;
		opts = b == e ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
	}
	return 0;
}

struct sub_state {
	const struct tval *repl;
	struct buf out;
	size_t last;             /* the end of the previous match */
};

static int sub_one(struct tmpl_render *r, const struct tmpl_call *c, struct rx *x, const struct tval *s, void *ud)
{
	struct sub_state *st = ud;
	size_t b = 0, e = 0;
	rx_group(x, 0, &b, &e);
	buf_add(&st->out, s->s + st->last, b - st->last);
	st->last = e;
	if (st->repl->kind == TV_FUNC) {
		/* a function of the match, as Python allows */
		struct tval m = match_value(r, x, s), v;
		if (tmpl_call_func(r, st->repl, c->line, 1, &m, &v))
			return -1;
		if (v.kind != TV_STR) {
			tmpl_fail(r, c->line, "%s(): the replacement function must return a string", c->name);
			return -1;
		}
		buf_add(&st->out, v.s, v.n);
		return 0;
	}
	return expand_repl(r, c->line, x, s, st->repl, &st->out);
}

/* The items findall() and split() collect, made a list at the end. */
struct list_state {
	struct tval *v;
	size_t n, cap;
	size_t last;             /* split: the end of the previous match */
};

static void list_push(struct list_state *st, struct tval v)
{
	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 16;
		st->v = xrealloc(st->v, st->cap * sizeof *st->v);
	}
	st->v[st->n++] = v;
}

static struct tval list_done(struct tmpl_render *r, struct list_state *st)
{
	struct tval l = tval_list_new(r, st->n);
	for (size_t i = 0; i < st->n; i++)
		l.items[i] = st->v[i];
	free(st->v);
	return l;
}

static int findall_one(struct tmpl_render *r, const struct tmpl_call *c, struct rx *x, const struct tval *s,
		       void *ud)
{
	(void)c;
	struct list_state *st = ud;
	struct tval empty = dbtm_str(r, "");
	if (x->ngroups <= 1) {
		list_push(st, rx_group_value(r, x, s, x->ngroups, &empty));
		return 0;
	}
	struct tval t = tval_list_new(r, x->ngroups);
	t.tuple = true;
	for (uint32_t g = 1; g <= x->ngroups; g++)
		t.items[g - 1] = rx_group_value(r, x, s, g, &empty);
	list_push(st, t);
	return 0;
}

static int split_one(struct tmpl_render *r, const struct tmpl_call *c, struct rx *x, const struct tval *s, void *ud)
{
	(void)c;
	struct list_state *st = ud;
	size_t b = 0, e = 0;
	rx_group(x, 0, &b, &e);
	list_push(st, tval_str(r, s->s + st->last, b - st->last));
	for (uint32_t g = 1; g <= x->ngroups; g++)
		list_push(st, rx_group_value(r, x, s, g, NULL));
	st->last = e;
	return 0;
}

static int native_pattern(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c,
			  struct tval *out);

static struct tval pattern_value(struct tmpl_render *r, const struct rx *x)
{
	static const char *const methods[] = { "match", "search", "fullmatch", "sub", "findall", "split", NULL };
	struct buf rep = { 0 };
	buf_printf(&rep, "re.compile('%s')", x->pattern);
	struct tval o = dbtm_obj_new(r, buf_str(&rep), 12);
	buf_free(&rep);
	size_t i = 0;
	dbtm_obj_set(&o, &i, "_type", dbtm_str(r, "pattern"));
	dbtm_obj_set(&o, &i, "pattern", dbtm_str(r, x->pattern));
	dbtm_obj_set(&o, &i, "flags", dbtm_num(x->flags));
	dbtm_obj_set(&o, &i, "groups", dbtm_num(x->ngroups));
	dbtm_obj_methods(r, &o, &i, methods, native_pattern);
	return o;
}

/* re.X(pattern, ...) and pattern.X(...) alike: the pattern is the first
 * argument of the one and self of the other; shift is 1 or 0. */
static int re_op(struct tmpl_render *r, const struct tmpl_call *c, const char *op, const struct tval *pat,
		 size_t shift, struct tval *out)
{
	bool sub = strcmp(op, "sub") == 0, split = strcmp(op, "split") == 0;
	/* the places of the arguments after the pattern: sub(repl, string,
	 * count, flags), split(string, maxsplit, flags), compile(flags), the
	 * others (string, flags); a pattern's methods take no flags */
	size_t sarg = sub ? 1 : 0;
	size_t farg = strcmp(op, "compile") == 0 ? 0 : sub ? 3 : split ? 2 : 1;
	long flags = 0, count = 0;
	if (shift && dbtm_int_arg(r, c, farg + shift, "flags", 0, &flags))
		return -1;
	if ((sub || split) && dbtm_int_arg(r, c, sarg + 1 + shift, sub ? "count" : "maxsplit", 0, &count))
		return -1;
	const struct tval *s = tmpl_call_arg(c, sarg + shift, "string");
	if (strcmp(op, "compile") != 0 && (!s || s->kind != TV_STR)) {
		tmpl_fail(r, c->line, "%s(): the string must be a string", c->name);
		return -1;
	}
	struct rx x;
	if (rx_compile(r, c, pat, flags, &x))
		return -1;
	int rc = 0;
	if (strcmp(op, "compile") == 0) {
		*out = pattern_value(r, &x);
	} else if (sub) {
		const struct tval *repl = tmpl_call_arg(c, shift, "repl");
		if (!repl || (repl->kind != TV_STR && repl->kind != TV_FUNC)) {
			tmpl_fail(r, c->line, "%s(): the replacement must be a string or a function", c->name);
			rx_free(&x);
			return -1;
		}
		struct sub_state st = { repl, { 0 }, 0 };
		rc = rx_each(r, c, &x, s, count, sub_one, &st);
		buf_add(&st.out, s->s + st.last, s->n - st.last);
		*out = tval_str(r, st.out.data ? st.out.data : "", st.out.len);
		buf_free(&st.out);
	} else if (strcmp(op, "findall") == 0 || split) {
		struct list_state st = { NULL, 0, 0, 0 };
		rc = rx_each(r, c, &x, s, split ? count : 0, split ? split_one : findall_one, &st);
		if (split)
			list_push(&st, tval_str(r, s->s + st.last, s->n - st.last));
		*out = list_done(r, &st);
	} else {
		/* match: at the start; fullmatch: the whole; search: anywhere */
		uint32_t opts = op[0] == 'm' ? PCRE2_ANCHORED : op[0] == 'f' ? PCRE2_ANCHORED | PCRE2_ENDANCHORED : 0;
		rc = rx_next(r, c->line, &x, s, 0, opts);
		*out = rc > 0 ? match_value(r, &x, s) : (struct tval){ .kind = TV_NONE };
		rc = rc < 0 ? -1 : 0;
	}
	rx_free(&x);
	return rc;
}

static int native_pattern(struct tmpl_render *r, const struct tval *self, const struct tmpl_call *c,
			  struct tval *out)
{
	return re_op(r, c, c->name, self, 0, out);
}

/* re.escape(s): every character but letters, digits and '_' escaped. */
static int re_escape(struct tmpl_render *r, const struct tmpl_call *c, struct tval *out)
{
	const struct tval *s = tmpl_call_arg(c, 0, "pattern");
	if (!s || s->kind != TV_STR) {
		tmpl_fail(r, c->line, "modules.re.escape() needs a string");
		return -1;
	}
	struct buf b = { 0 };
	for (size_t i = 0; i < s->n; i++) {
		unsigned char ch = (unsigned char)s->s[i];
		if (ch < 0x80 && !(ch >= '0' && ch <= '9') && !(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    ch != '_')
			buf_addc(&b, '\\');
		buf_addc(&b, (char)ch);
	}
	*out = tval_str(r, b.data ? b.data : "", b.len);
	buf_free(&b);
	return 0;
}

static const char *const re_ops[] = { "compile", "match", "search", "fullmatch", "sub", "findall", "split", NULL };

int dbtm_re_call(struct tmpl_render *r, const struct tmpl_call *c, const char *fn, struct tval *out)
{
	for (const char *const *op = re_ops; *op; op++)
		if (strcmp(*op, fn) == 0)
			return re_op(r, c, fn, tmpl_call_arg(c, 0, "pattern"), 1, out);
	if (strcmp(fn, "escape") == 0)
		return re_escape(r, c, out);
	return 1;
}

void dbtm_re_module(struct tmpl_render *r, struct tval *out, tmpl_native module_fn)
{
	static const char *const fns[] = { "modules.re.compile", "modules.re.match", "modules.re.search",
					   "modules.re.fullmatch", "modules.re.sub", "modules.re.findall",
					   "modules.re.split", "modules.re.escape", NULL };
	static const struct { const char *name; long v; } flags[] = {
		{ "I", RE_I }, { "IGNORECASE", RE_I }, { "M", RE_M }, { "MULTILINE", RE_M }, { "S", RE_S },
		{ "DOTALL", RE_S }, { "X", RE_X }, { "VERBOSE", RE_X }, { "A", RE_A }, { "ASCII", RE_A },
	};
	size_t i = 0;
	*out = dbtm_obj_new(r, "<module 're'>", 32);
	for (size_t k = 0; k < sizeof flags / sizeof *flags; k++)
		dbtm_obj_set(out, &i, flags[k].name, dbtm_num(flags[k].v));
	for (const char *const *f = fns; *f; f++)
		dbtm_obj_set(out, &i, *f + 11, tval_native(r, *f, module_fn, out));
}
