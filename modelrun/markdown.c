/* SPDX-License-Identifier: MIT
 * HTML for the docs site: escaping, and the safe subset of Markdown that
 * dbt's descriptions are written in.
 *
 * The subset: paragraphs (separated by blank lines), bullet lists (-, *
 * or + and a space) and numbered lists (1. ), fenced code blocks (```),
 * and inline `code`, **strong**, *emphasis* (also with underscores, not
 * inside a word: snake_case names stay as they are) and [links](url).
 * A link is kept only when its target is http:// or https://; any other
 * (javascript:, data:, a relative path) leaves its text alone. Nothing of
 * the input reaches the page unescaped: every tag here is written by this
 * file, and raw HTML in a description is shown as text. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "modelrun.h"

void mr_html_n(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; s && i < n && s[i]; i++) {
		switch (s[i]) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\'': buf_adds(b, "&#39;"); break;
		default: buf_addc(b, s[i]);
		}
	}
}

void mr_html(struct buf *b, const char *s)
{
	mr_html_n(b, s, s ? strlen(s) : 0);
}

static bool word_char(char c)
{
	return isalnum((unsigned char)c);
}

/* The closing delimiter delim (of dlen bytes) for an opening one at
 * s[start - dlen], within s[start, end), or NULL. An underscore closes
 * only where no word character follows. */
static const char *closing(const char *s, size_t start, size_t end, const char *delim, size_t dlen)
{
	for (size_t i = start + 1; i + dlen <= end; i++) {
		if (strncmp(s + i, delim, dlen) != 0 || isspace((unsigned char)s[i - 1]))
			continue;
		if (delim[0] == '_' && i + dlen < end && word_char(s[i + dlen]))
			continue;
		return s + i;
	}
	return NULL;
}

static bool safe_url(const char *u, size_t n)
{
	return (n > 7 && strncasecmp(u, "http://", 7) == 0) || (n > 8 && strncasecmp(u, "https://", 8) == 0);
}

/* The ')' closing a link target that starts at s (parentheses inside
 * it balanced), before end, or NULL. */
static const char *paren_end(const char *s, const char *end)
{
	int depth = 0;
	for (; s < end; s++) {
		if (*s == '(')
			depth++;
		else if (*s == ')' && depth-- == 0)
			return s;
	}
	return NULL;
}

/* Inline markup of s[0, n). */
static void inline_md(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, plain = 0;
	while (i < n) {
		const char *c = s + i, *e = NULL;
		if (*c == '`' && (e = memchr(c + 1, '`', n - i - 1))) {
			mr_html_n(b, s + plain, i - plain);
			buf_adds(b, "<code>");
			mr_html_n(b, c + 1, (size_t)(e - c - 1));
			buf_adds(b, "</code>");
			i = plain = (size_t)(e - s) + 1;
			continue;
		}
		size_t dl = (c[0] == '*' || c[0] == '_') && i + 1 < n && c[1] == c[0] ? 2 : 1;
		bool opens = (*c == '*' || *c == '_') && i + dl < n && !isspace((unsigned char)c[dl]) &&
			     !(*c == '_' && i > 0 && word_char(s[i - 1]));
		if (opens && (e = closing(s, i + dl, n, dl == 2 ? (*c == '*' ? "**" : "__") : (*c == '*' ? "*" : "_"), dl))) {
			mr_html_n(b, s + plain, i - plain);
			buf_adds(b, dl == 2 ? "<strong>" : "<em>");
			inline_md(b, c + dl, (size_t)(e - c) - dl);
			buf_adds(b, dl == 2 ? "</strong>" : "</em>");
			i = plain = (size_t)(e - s) + dl;
			continue;
		}
		const char *mid, *close;
		if (*c == '[' && (mid = memchr(c, ']', n - i)) && mid + 1 < s + n && mid[1] == '(' &&
		    (close = paren_end(mid + 2, s + n))) {
			mr_html_n(b, s + plain, i - plain);
			const char *url = mid + 2;
			size_t ul = (size_t)(close - url);
			if (safe_url(url, ul)) {
				buf_adds(b, "<a href=\"");
				mr_html_n(b, url, ul);
				buf_adds(b, "\" rel=\"noopener noreferrer\">");
				inline_md(b, c + 1, (size_t)(mid - c - 1));
				buf_adds(b, "</a>");
			} else {
				inline_md(b, c + 1, (size_t)(mid - c - 1));
			}
			i = plain = (size_t)(close - s) + 1;
			continue;
		}
		i++;
	}
	mr_html_n(b, s + plain, n - plain);
}

/* A list item's marker at line l: its length, or 0. *ordered says which. */
static size_t item_marker(const char *l, bool *ordered)
{
	if ((l[0] == '-' || l[0] == '*' || l[0] == '+') && l[1] == ' ') {
		*ordered = false;
		return 2;
	}
	size_t d = strspn(l, "0123456789");
	if (d && d < 10 && (l[d] == '.' || l[d] == ')') && l[d + 1] == ' ') {
		*ordered = true;
		return d + 2;
	}
	return 0;
}

void mr_markdown(struct buf *b, const char *text)
{
	const char *s = text ? text : "";
	enum { NONE, PARA, UL, OL };
	int open = NONE;
	static const char *const closer[] = { "", "</p>\n", "</li></ul>\n", "</li></ol>\n" };
	while (*s) {
		size_t len = strcspn(s, "\n");
		const char *next = s + len + (s[len] == '\n');
		const char *l = s + strspn(s, " \t");
		size_t ll = (size_t)(s + len - l);
		bool ordered;
		size_t mk = item_marker(l, &ordered);
		if (ll == 0) { /* a blank line ends the block */
			buf_adds(b, closer[open]);
			open = NONE;
		} else if (ll >= 3 && strncmp(l, "```", 3) == 0) {
			buf_adds(b, closer[open]);
			open = NONE;
			buf_adds(b, "<pre><code>");
			const char *q = next;
			while (*q) {
				size_t n = strcspn(q, "\n");
				const char *line = q, *t = q + strspn(q, " \t");
				q += n + (q[n] == '\n');
				if (strncmp(t, "```", 3) == 0)
					break;
				mr_html_n(b, line, n);
				buf_addc(b, '\n');
			}
			buf_adds(b, "</code></pre>\n");
			next = q;
		} else if (mk) {
			int want = ordered ? OL : UL;
			if (open == want) {
				buf_adds(b, "</li><li>");
			} else {
				buf_adds(b, closer[open]);
				buf_adds(b, ordered ? "<ol><li>" : "<ul><li>");
				open = want;
			}
			inline_md(b, l + mk, ll - mk);
		} else {
			if (open == NONE) {
				buf_adds(b, "<p>");
				open = PARA;
			} else {
				buf_addc(b, '\n'); /* a line of the same paragraph or item */
			}
			inline_md(b, l, ll);
		}
		s = next;
	}
	buf_adds(b, closer[open]);
}
