/* prop.c: reading properties of a parsed item: by id, by name, as text or integer
 * (docs/fasttransfer.md 6). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "fx-int.h"

const struct fx_prop *
fx_get(const struct fx_obj *o, uint16_t id)
{
	size_t i;

	for (i = 0; o && id < 0x8000 && i < o->nprops; i++)
		if (o->props[i].tag >> 16 == id)
			return &o->props[i];
	return NULL;
}

enum { TX_NONE, TX_UTF16, TX_1252, TX_LATIN1, TX_UTF8, TX_ASCII };

/* How to read a string of (single-value) wire type t (6.2, 6.3); TX_NONE: no string.
 * Code pages other than these few are shown as ASCII with U+FFFD for the rest. */
static int
text_kind(unsigned t)
{
	if (t == 0x001F)
		return TX_UTF16;
	if (t == 0x001E)
		return TX_1252;
	if (!(t & 0x8000))
		return TX_NONE;
	switch (t & 0x7FFF) {
	case 1200: return TX_UTF16;
	case 1252: return TX_1252;
	case 28591: return TX_LATIN1;
	case 65001: return TX_UTF8;
	}
	return TX_ASCII;
}

/* The wire type of one element of a multi-valued type t, or 0 for a single-valued t. */
unsigned
fx_elem_type(unsigned t)
{
	if ((t & 0x9000) == 0x9000)
		return 0x8000 | (t & 0x6FFF);
	if ((t & 0xF000) == 0x1000)
		return t & 0x0FFF;
	return 0;
}

/* Append c as UTF-8 unless that passes max; -1 when full. */
static int
put_utf8(struct mbx_buf *b, uint32_t c, size_t max)
{
	unsigned char u[4];
	size_t n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4, i;

	if (max && b->len + n > max)
		return -1;
	if (n == 1) {
		u[0] = (unsigned char)c;
	} else {
		for (i = n - 1; i > 0; i--, c >>= 6)
			u[i] = (unsigned char)(0x80 | (c & 0x3F));
		u[0] = (unsigned char)((0xF00u >> n) | c);    /* 110xxxxx, 1110xxxx, 11110xxx */
	}
	return mbx_buf_append(b, u, n);
}

/* UTF-16LE up to the first NUL unit; unpaired surrogates become U+FFFD. */
static void
utf16_to_utf8(struct mbx_buf *b, const unsigned char *v, size_t len, size_t max)
{
	size_t i, n = len / 2;

	for (i = 0; i < n; i++) {
		uint32_t c = rd16(v + 2 * i), d;
		if (c == 0)
			break;
		if (c >= 0xD800 && c < 0xDC00 && i + 1 < n &&
		    (d = rd16(v + 2 * i + 2)) >= 0xDC00 && d < 0xE000) {
			c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
			i++;
		} else if (c >= 0xD800 && c < 0xE000) {
			c = 0xFFFD;
		}
		if (put_utf8(b, c, max) < 0)
			break;
	}
}

static uint32_t
cp1252(unsigned char c)
{
	static const uint16_t hi[32] = {
		0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
		0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
		0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
		0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178 };

	return c >= 0x80 && c < 0xA0 ? hi[c - 0x80] : c;
}

/* 8-bit text up to the first NUL. */
static void
bytes_to_utf8(struct mbx_buf *b, const unsigned char *v, size_t len, size_t max, int kind)
{
	char *copy;
	const unsigned char *s;
	size_t i;

	if (kind == TX_UTF8) {     /* bounded copy: utf8_next needs a terminator */
		copy = mbx_strndup((const char *)v, len);
		for (s = (const unsigned char *)copy; *s;)
			if (put_utf8(b, fx_utf8_next(&s), max) < 0)
				break;
		free(copy);
		return;
	}
	for (i = 0; i < len && v[i]; i++) {
		uint32_t c = kind == TX_1252 ? cp1252(v[i]) : kind == TX_LATIN1 ? v[i] :
			     v[i] < 0x80 ? v[i] : 0xFFFD;
		if (put_utf8(b, c, max) < 0)
			break;
	}
}

char *
fx_text_of(unsigned type, const unsigned char *v, size_t len, size_t max)
{
	struct mbx_buf b;
	int kind = text_kind(type);

	if (kind == TX_NONE)
		return NULL;
	mbx_buf_init(&b, 0);
	if (kind == TX_UTF16)
		utf16_to_utf8(&b, v, len, max);
	else
		bytes_to_utf8(&b, v, len, max, kind);
	return mbx_buf_steal(&b);
}

char *
fx_text(const struct fx_prop *p, size_t max)
{
	if (!p || p->tag == FX_IDSET_GIVEN || fx_elem_type(p->tag & 0xFFFF))
		return NULL;
	return fx_text_of(p->tag & 0xFFFF, p->val, p->len, max);
}

/* Element i of a multi-valued variable-size property (lengths checked by the parser). */
static const unsigned char *
mv_elem(const struct fx_prop *p, uint32_t i, size_t *len)
{
	size_t off = 0;
	uint32_t k;

	for (k = 0; k <= i; k++) {
		*len = rd32(p->val + off);
		off += 4;
		if (k == i)
			return p->val + off;
		off += *len;
	}
	return NULL;
}

char *
fx_text_at(const struct fx_prop *p, uint32_t i, size_t max)
{
	unsigned et = p ? fx_elem_type(p->tag & 0xFFFF) : 0;
	const unsigned char *v;
	size_t len;

	if (!et || i >= p->count || text_kind(et) == TX_NONE || !(v = mv_elem(p, i, &len)))
		return NULL;
	return fx_text_of(et, v, len, max);
}

int
fx_int(const struct fx_prop *p, long long *out)
{
	unsigned t = p ? p->tag & 0xFFFF : 0;

	if (!p || p->tag == FX_IDSET_GIVEN)
		return -1;
	if (t == 0x0002)
		*out = (int16_t)rd16(p->val);
	else if (t == 0x0003 || t == 0x000A)
		*out = (int32_t)rd32(p->val);
	else if (t == 0x000B)
		*out = rd16(p->val) != 0;
	else if (t == 0x0014 || t == 0x0040)
		*out = (long long)rd64(p->val);
	else
		return -1;
	return 0;
}

/* Names in UTF-16 are compared in UTF-8, ASCII case-insensitively. */
const struct fx_prop *
fx_get_named(const struct fx_obj *o, const unsigned char guid[16], uint32_t lid,
		 const char *name)
{
	size_t i;

	for (i = 0; o && i < o->nprops; i++) {
		const struct fx_prop *p = &o->props[i];
		char *n;
		int eq;
		if (!p->guid || memcmp(p->guid, guid, 16) || p->kind != (name != NULL))
			continue;
		if (!name) {
			if (p->lid == lid)
				return p;
			continue;
		}
		n = fx_text_of(0x001F, p->name, p->name_len, 0);
		eq = strcasecmp(n, name) == 0;
		free(n);
		if (eq)
			return p;
	}
	return NULL;
}

/* The store gives a new message a PidTagSearchKey (MS-OXCMSG 3.2.5.2) and exports carry
 * it (fasttransfer.md 8.1), so an import whose stream holds one makes a copy that has it
 * (a guess: nothing documents what the service keeps); a message without one is named by
 * its PidTagInternetMessageId. Both are named as Graph's singleValueExtendedProperties ids
 * ("Binary 0x300B", "String 0x1035"), a binary value in base64 as that resource has it. */
int
fx_content_key(const struct fx_obj *msg, char *id, size_t idn, char **value)
{
	const struct fx_prop *p;
	struct mbx_buf b;
	char *s;

	*value = NULL;
	if (idn)
		*id = '\0';
	if ((p = fx_get(msg, 0x300B)) != NULL && (p->tag & 0xFFFF) == 0x0102 && p->len > 0 &&
	    p->len <= 1024) {
		mbx_buf_init(&b, 0);
		if (mbx_b64_encode(&b, p->val, p->len) == 0) {
			snprintf(id, idn, "Binary 0x300B");
			*value = mbx_buf_steal(&b);
			return 0;
		}
		mbx_buf_free(&b);
	}
	if ((p = fx_get(msg, 0x1035)) != NULL && (s = fx_text(p, 1024)) != NULL) {
		if (*s) {
			snprintf(id, idn, "String 0x1035");
			*value = s;
			return 0;
		}
		free(s);
	}
	return -1;
}
