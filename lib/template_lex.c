/* SPDX-License-Identifier: MIT
 * The lexer for the inside of tags ({{ ... }}, {% ... %}): names, string and
 * number literals, operators. Errors go through tparse_err with the line. */
#include "template.h"
#include "template_int.h"
#include "buf.h"
#include "xalloc.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tparse_err(struct parser *ps, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void tparse_err(struct parser *ps, int line, const char *fmt, ...)
{
	if (ps->failed)
		return;
	ps->failed = true;
	int n = snprintf(ps->err, ps->errlen, "%s:%d: ", ps->t->file, line);
	if (n < 0 || (size_t)n >= ps->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

void tlex_next(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) {
		if (*ps->p == '\n')
			ps->line++;
		ps->p++;
	}
	ps->tstart = ps->p;
	ps->tlen = 0;
	if (ps->p >= ps->end) {
		ps->tok = T_EOF;
		return;
	}
	char c = *ps->p;
	if (is_ident_start(c)) {
		while (ps->p < ps->end && is_ident(*ps->p))
			ps->p++;
		ps->tok = T_NAME;
	} else if (c >= '0' && c <= '9') {
		/* Jinja's literals: 12, 1_000, 1.5, 1e3, 1.5e-3 */
		char buf[64];
		size_t n = 0;
		bool real = false, too_long = false;
		const char *q = ps->p, *e = ps->end;
#define PUT(c) (n < sizeof buf - 1 ? (void)(buf[n++] = (c)) : (void)(too_long = true))
#define DIGITS()                                                                          \
	while (q < e && ((*q >= '0' && *q <= '9') || (*q == '_' && q + 1 < e && q[1] >= '0' && q[1] <= '9'))) { \
		if (*q != '_')                                                                 \
			PUT(*q);                                                               \
		q++;                                                                           \
	}
		DIGITS();
		if (q + 1 < e && *q == '.' && q[1] >= '0' && q[1] <= '9') {
			real = true;
			PUT(*q);
			q++;
			DIGITS();
		}
		if (q < e && (*q == 'e' || *q == 'E')) {
			const char *x = q + 1;
			if (x < e && (*x == '+' || *x == '-'))
				x++;
			if (x < e && *x >= '0' && *x <= '9') {
				real = true;
				PUT('e');
				if (*(q + 1) == '-')
					PUT('-');
				q = x;
				DIGITS();
			}
		}
#undef DIGITS
#undef PUT
		buf[n] = '\0';
		ps->p = q;
		char *endp;
		ps->tnum = strtod(buf, &endp);
		ps->treal = real;
		ps->tok = *endp || too_long ? T_BAD : T_NUM;
	} else if (c == '\'' || c == '"') {
		char q = c;
		ps->p++;
		/* decoded length is at most the raw length */
		const char *s = ps->p;
		while (ps->p < ps->end && *ps->p != q) {
			if (*ps->p == '\\' && ps->p + 1 < ps->end)
				ps->p++;
			if (*ps->p == '\n')
				ps->line++;
			ps->p++;
		}
		if (ps->p >= ps->end) {
			ps->tok = T_BAD;
			tparse_err(ps, ps->line, "unterminated string literal");
			return;
		}
		char *out = tarena_alloc(&ps->t->arena, (size_t)(ps->p - s) + 1);
		size_t n = 0;
		for (const char *r = s; r < ps->p; r++) {
			if (*r == '\\' && r + 1 < ps->p) {
				r++;
				switch (*r) {
				case 'n': out[n++] = '\n'; break;
				case 't': out[n++] = '\t'; break;
				case 'r': out[n++] = '\r'; break;
				default: out[n++] = *r; break;
				}
			} else {
				out[n++] = *r;
			}
		}
		out[n] = '\0';
		ps->tstr = out;
		ps->tnum = (double)n;
		ps->p++;
		ps->tok = T_STR;
	} else {
		ps->p++;
		char d = ps->p < ps->end ? *ps->p : '\0';
		switch (c) {
		case '(': ps->tok = T_LP; break;
		case ')': ps->tok = T_RP; break;
		case '[': ps->tok = T_LB; break;
		case ']': ps->tok = T_RB; break;
		case '{': ps->tok = T_LC; break;
		case '}': ps->tok = T_RC; break;
		case ',': ps->tok = T_COMMA; break;
		case '.': ps->tok = T_DOT; break;
		case ':': ps->tok = T_COLON; break;
		case '~': ps->tok = T_TILDE; break;
		case '+': ps->tok = T_PLUS; break;
		case '-': ps->tok = T_MINUS; break;
		case '*': ps->tok = d == '*' ? (ps->p++, T_POW) : T_STAR; break;
		case '/': ps->tok = d == '/' ? (ps->p++, T_DSLASH) : T_SLASH; break;
		case '%': ps->tok = T_PERCENT; break;
		case '|': ps->tok = T_PIPE; break;
		case '=': ps->tok = d == '=' ? (ps->p++, T_EQ) : T_ASSIGN; break;
		case '!': ps->tok = d == '=' ? (ps->p++, T_NE) : T_BAD; break;
		case '<': ps->tok = d == '=' ? (ps->p++, T_LE) : T_LT; break;
		case '>': ps->tok = d == '=' ? (ps->p++, T_GE) : T_GT; break;
		default: ps->tok = T_BAD; break;
		}
	}
	ps->tlen = (size_t)(ps->p - ps->tstart);
}

bool tlex_is(struct parser *ps, const char *word)
{
	return ps->tok == T_NAME && strlen(word) == ps->tlen && memcmp(ps->tstart, word, ps->tlen) == 0;
}

char *tlex_text(struct parser *ps)
{
	return tarena_strndup(&ps->t->arena, ps->tstart, ps->tlen);
}

/* Names the current token in an error message. */
void tparse_unexpected(struct parser *ps, const char *wanted)
{
	if (ps->tok == T_EOF)
		tparse_err(ps, ps->line, "expected %s, found the end of the tag", wanted);
	else
		tparse_err(ps, ps->line, "expected %s, found '%.*s'", wanted, (int)ps->tlen, ps->tstart);
}

bool tparse_expect(struct parser *ps, enum tok t, const char *what)
{
	if (ps->tok != t) {
		tparse_unexpected(ps, what);
		return false;
	}
	tlex_next(ps);
	return true;
}
