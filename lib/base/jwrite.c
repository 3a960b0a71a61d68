/* jwrite.c: a compact JSON writer onto a bounded buffer; an append the buffer refuses
 * sets the sticky w->err, which the writer's caller must turn into a failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "base.h"

void
mbx_jw_init(struct mbx_jw *w, struct mbx_buf *b)
{
	memset(w, 0, sizeof *w);
	w->b = b;
}

static void
put(struct mbx_jw *w, const char *s, size_t n)
{
	if (mbx_buf_append(w->b, s, n) < 0)
		w->err = 1;
}

/* Comma before a value unless it follows a key or opens a container. */
static void
sep(struct mbx_jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	/* need_comma[d]: bit 0 = a value came before, bit 1 = the container is an array */
	if (w->depth > 0 && (w->need_comma[w->depth - 1] & 1))
		put(w, ",", 1);
	if (w->depth > 0)
		w->need_comma[w->depth - 1] |= 1;
}

static void
open_container(struct mbx_jw *w, const char *c)
{
	sep(w);
	put(w, c, 1);
	if (w->depth >= (int)sizeof w->need_comma) {
		w->err = 1;
		return;
	}
	w->need_comma[w->depth++] = *c == '[' ? 2 : 0;
}

void mbx_jw_obj(struct mbx_jw *w) { open_container(w, "{"); }
void mbx_jw_arr(struct mbx_jw *w) { open_container(w, "["); }

void
mbx_jw_end(struct mbx_jw *w)
{
	if (w->depth <= 0) {
		w->err = 1;
		return;
	}
	w->depth--;
	put(w, (w->need_comma[w->depth] & 2) ? "]" : "}", 1);
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0 when invalid
 * (overlong forms, surrogates and code points past U+10FFFF are invalid, RFC 3629). */
size_t
mbx_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t k, i;
	uint32_t v;

	if (c < 0x80)
		return 1;
	k = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
	if (k == 0 || k > n)
		return 0;
	v = c & (0x7F >> k);
	for (i = 1; i < k; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3F);
	}
	if ((k == 3 && (v < 0x800 || (v >= 0xD800 && v < 0xE000))) ||
	    (k == 4 && (v < 0x10000 || v > 0x10FFFF)))
		return 0;
	return k;
}

/* A JSON string is UTF-8 (RFC 8259 8.1): a byte that does not begin a valid sequence
 * is written as U+FFFD, so that a reader never meets broken JSON. The callers repair
 * text that comes from outside (mime_utf8_own) and say so; this is the last guard. */
static void
escape(struct mbx_jw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, k, run = 0;

	put(w, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 && (k = mbx_utf8_seq((const unsigned char *)s + i, n - i)) > 0) {
			i += k - 1;
			continue;
		}
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\')
			continue;
		put(w, s + run, i - run);
		run = i + 1;
		if (c >= 0x80) {
			put(w, "\xEF\xBF\xBD", 3);
		} else if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(w, e, 2);
		} else if (c == '\n') {
			put(w, "\\n", 2);
		} else if (c == '\r') {
			put(w, "\\r", 2);
		} else if (c == '\t') {
			put(w, "\\t", 2);
		} else {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			put(w, e, 6);
		}
	}
	put(w, s + run, n - run);
	put(w, "\"", 1);
}

void
mbx_jw_key(struct mbx_jw *w, const char *k)
{
	sep(w);
	escape(w, k, strlen(k));
	put(w, ":", 1);
	w->after_key = 1;
}

void
mbx_jw_strn(struct mbx_jw *w, const char *s, size_t n)
{
	sep(w);
	escape(w, s, n);
}

void
mbx_jw_str(struct mbx_jw *w, const char *s)
{
	if (!s) {
		mbx_jw_null(w);
		return;
	}
	mbx_jw_strn(w, s, strlen(s));
}

void
mbx_jw_int(struct mbx_jw *w, long long v)
{
	char num[32];
	int n = snprintf(num, sizeof num, "%lld", v);

	sep(w);
	put(w, num, (size_t)n);
}

void
mbx_jw_bool(struct mbx_jw *w, int v)
{
	sep(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void
mbx_jw_null(struct mbx_jw *w)
{
	sep(w);
	put(w, "null", 4);
}

void
mbx_jw_raw(struct mbx_jw *w, const char *json)
{
	sep(w);
	put(w, json, strlen(json));
}

/* Bytes as a base64 string, encoded straight into the buffer (no second copy). */
void
mbx_jw_b64(struct mbx_jw *w, const void *p, size_t n)
{
	sep(w);
	put(w, "\"", 1);
	if (mbx_b64_encode(w->b, p ? p : "", n) < 0)
		w->err = 1;
	put(w, "\"", 1);
}

void
mbx_jw_kstr(struct mbx_jw *w, const char *k, const char *s)
{
	mbx_jw_key(w, k);
	mbx_jw_str(w, s);
}

void
mbx_jw_kint(struct mbx_jw *w, const char *k, long long v)
{
	mbx_jw_key(w, k);
	mbx_jw_int(w, v);
}

void
mbx_jw_val(struct mbx_jw *w, yajl_val v)
{
	size_t i;

	if (!v || YAJL_IS_NULL(v)) {
		mbx_jw_null(w);
	} else if (YAJL_IS_STRING(v)) {
		mbx_jw_str(w, v->u.string);
	} else if (YAJL_IS_NUMBER(v)) {
		mbx_jw_raw(w, v->u.number.r);
	} else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
		mbx_jw_bool(w, YAJL_IS_TRUE(v));
	} else if (YAJL_IS_ARRAY(v)) {
		mbx_jw_arr(w);
		for (i = 0; i < v->u.array.len; i++)
			mbx_jw_val(w, v->u.array.values[i]);
		mbx_jw_end(w);
	} else if (YAJL_IS_OBJECT(v)) {
		mbx_jw_obj(w);
		for (i = 0; i < v->u.object.len; i++) {
			mbx_jw_key(w, v->u.object.keys[i]);
			mbx_jw_val(w, v->u.object.values[i]);
		}
		mbx_jw_end(w);
	}
}

