/* gen.c: the FastTransfer generator: framed export blobs for the emulator and tests
 * (docs/fasttransfer.md 3, 7, 9, 10, 12). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "fx-int.h"

/* A place where a TransferBuffer may end (3.2): a..b inclusive; for UTF-16 values only
 * at an even distance from base, the first byte of the value. */
struct cutr {
	size_t a, b, base;
	int utf16;
};

/* Attachment bytes that a callback writes when the blob goes out: in the stream at
 * offset at of the bytes held (s), len bytes long. */
struct ext {
	size_t at, len;
	fx_data_fn fn;
	void *ctx;
};

struct gen {
	struct mbx_buf s;          /* the FastTransfer stream, less the external pieces */
	struct cutr *cuts;         /* at stream positions (held bytes + external ones) */
	size_t ncuts, capcuts;
	struct ext *ext;
	size_t next, capext, extlen;
	int err;
	uint16_t next_named;       /* 12.6: named ids from 0x8000 up */
};

/* The position in the stream: the bytes held plus the external ones before them. */
static size_t g_pos(const struct gen *g) { return g->s.len + g->extlen; }

static void
g_put(struct gen *g, const void *p, size_t n)
{
	if (!g->err && mbx_buf_append(&g->s, p, n) < 0)
		g->err = 1;
}

static void
g_u16(struct gen *g, uint16_t v)
{
	unsigned char b[2] = { (unsigned char)v, (unsigned char)(v >> 8) };

	g_put(g, b, 2);
}

static void
g_u32(struct gen *g, uint32_t v)
{
	unsigned char b[4];

	wr32(b, v);
	g_put(g, b, 4);
}

static void
g_u64(struct gen *g, uint64_t v)
{
	g_u32(g, (uint32_t)v);
	g_u32(g, (uint32_t)(v >> 32));
}

static void
g_cut(struct gen *g, size_t a, size_t b, size_t base, int utf16)
{
	if (g->err || a > b)
		return;
	if (g->ncuts == g->capcuts) {
		g->capcuts = g->capcuts ? 2 * g->capcuts : 64;
		g->cuts = mbx_xrealloc(g->cuts, g->capcuts * sizeof *g->cuts);
	}
	g->cuts[g->ncuts++] = (struct cutr){ a, b, base, utf16 };
}

/* Every element starts with a tag; the place before it is a legal boundary. */
static void
g_tag(struct gen *g, uint32_t tag)
{
	size_t at = g_pos(g);

	g_cut(g, at, at, at, 0);
	g_u32(g, tag);
}

static void
g_patch32(struct gen *g, size_t pos, size_t v)
{
	if (v > UINT32_MAX)
		g->err = 1;
	if (!g->err)
		wr32((unsigned char *)g->s.data + pos, (uint32_t)v);
}

/* Next code point of NUL-terminated UTF-8; a malformed sequence gives U+FFFD. */
uint32_t
fx_utf8_next(const unsigned char **sp)
{
	const unsigned char *s = *sp;
	uint32_t c = *s, min;
	int n, i;

	if (c < 0x80) {
		*sp = s + 1;
		return c;
	}
	n = c >= 0xF0 && c < 0xF5 ? 3 : c >= 0xE0 ? 2 : c >= 0xC2 && c < 0xE0 ? 1 : 0;
	min = n == 3 ? 0x10000 : n == 2 ? 0x800 : 0x80;
	c &= 0x3F >> n;
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			break;
		c = c << 6 | (s[i] & 0x3F);
	}
	if (n == 0 || i <= n || c < min || c > 0x10FFFF || (c >= 0xD800 && c < 0xE000)) {
		*sp = s + (i > 1 ? i : 1);
		return 0xFFFD;
	}
	*sp = s + n + 1;
	return c;
}

static size_t
put_unit(unsigned char *t, size_t k, uint32_t u)
{
	t[k] = (unsigned char)u;
	t[k + 1] = (unsigned char)(u >> 8);
	return k + 2;
}

/* Length of the leading ASCII of s, 8 bytes at a time (no byte has its top bit set). */
static size_t
ascii_len(const unsigned char *s, size_t n)
{
	size_t i = 0;
	uint64_t w;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080ULL)
			break;
	}
	while (i < n && s[i] < 0x80)
		i++;
	return i;
}

/* The leading ASCII of *sp as UTF-16LE, written in place: most text is all ASCII. */
static void
ascii_run(struct gen *g, const unsigned char **sp)
{
	const unsigned char *restrict s = *sp;
	unsigned char *restrict o;
	size_t n = ascii_len(s, strlen((const char *)s)), i;

	if (g->err || n == 0)
		return;
	if (mbx_buf_reserve(&g->s, 2 * n) < 0) {
		g->err = 1;
		return;
	}
	o = (unsigned char *)g->s.data + g->s.len;
	for (i = 0; i + 4 <= n; i += 4) {      /* 4 bytes spread to 4 UTF-16 units at once */
		uint64_t x = rd32(s + i);
		x = (x | x << 16) & 0x0000FFFF0000FFFFULL;
		x = (x | x << 8) & 0x00FF00FF00FF00FFULL;
		wr32(o + 2 * i, (uint32_t)x);
		wr32(o + 2 * i + 4, (uint32_t)(x >> 32));
	}
	for (; i < n; i++) {
		o[2 * i] = s[i];
		o[2 * i + 1] = 0;
	}
	g->s.len += 2 * n;
	g->s.data[g->s.len] = '\0';
	*sp = s + n;
}

/* text as UTF-16LE with its NUL terminator (6.2): its ASCII start in place, the rest
 * converted through a small buffer. */
static void
g_utf16(struct gen *g, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	unsigned char t[4096];
	size_t k = 0;

	ascii_run(g, &s);
	while (*s) {
		uint32_t c = fx_utf8_next(&s);
		if (k + 4 > sizeof t) {
			g_put(g, t, k);
			k = 0;
		}
		if (c >= 0x10000) {
			c -= 0x10000;
			k = put_unit(t, k, 0xD800 | c >> 10);
			k = put_unit(t, k, 0xDC00 | (c & 0x3FF));
		} else {
			k = put_unit(t, k, c);
		}
	}
	k = put_unit(t, k, 0);
	g_put(g, t, k);
}

/* u32 length + UTF-16 payload, with the inside of the payload a legal cut zone. */
static void
g_strval(struct gen *g, const char *text)
{
	size_t lenpos = g->s.len, vs, n;

	g_u32(g, 0);
	vs = g->s.len;
	g_utf16(g, text);
	n = g->s.len - vs;
	g_patch32(g, lenpos, n);
	vs += g->extlen;
	if (n >= 4)
		g_cut(g, vs + 2, vs + n - 2, vs, 1);
}

/* Strings go out as code-page 1200 strings, as Exchange writes them (6.3, 12.4). */
static void
g_string(struct gen *g, uint16_t id, const char *text)
{
	if (!text)
		return;
	g_tag(g, (uint32_t)id << 16 | 0x84B0);
	g_strval(g, text);
}

static void
g_binary(struct gen *g, uint16_t id, const void *data, size_t len)
{
	size_t vs;

	if (len == 0)       /* 12.9: omit rather than write a zero-length binary */
		return;
	if (len > UINT32_MAX) {
		g->err = 1;
		return;
	}
	g_tag(g, (uint32_t)id << 16 | 0x0102);
	g_u32(g, (uint32_t)len);
	vs = g_pos(g);
	g_put(g, data, len);
	g_cut(g, vs + 1, vs + len - 1, vs, 0);
}

/* A binary whose len bytes a callback writes later (the blob holds only its place). */
static void
g_binary_ext(struct gen *g, uint16_t id, fx_data_fn fn, void *ctx, size_t len)
{
	size_t vs;

	if (len == 0)
		return;
	if (len > UINT32_MAX) {
		g->err = 1;
		return;
	}
	g_tag(g, (uint32_t)id << 16 | 0x0102);
	g_u32(g, (uint32_t)len);
	if (g->err)
		return;
	vs = g_pos(g);
	if (g->next == g->capext) {
		g->capext = g->capext ? 2 * g->capext : 8;
		g->ext = mbx_xrealloc(g->ext, g->capext * sizeof *g->ext);
	}
	g->ext[g->next++] = (struct ext){ g->s.len, len, fn, ctx };
	g->extlen += len;
	g_cut(g, vs + 1, vs + len - 1, vs, 0);
}

/* Booleans are 2 bytes in FastTransfer streams (6.1). */
static void
g_bool(struct gen *g, uint16_t id, int v)
{
	g_tag(g, (uint32_t)id << 16 | 0x000B);
	g_u16(g, v ? 1 : 0);
}

static void
g_int32(struct gen *g, uint16_t id, uint32_t v)
{
	g_tag(g, (uint32_t)id << 16 | 0x0003);
	g_u32(g, v);
}

/* Unix seconds as FILETIME (6.1). */
static void
g_time(struct gen *g, uint16_t id, int64_t t)
{
	g_tag(g, (uint32_t)id << 16 | 0x0040);
	g_u64(g, (uint64_t)t * 10000000u + FX_FT_UNIX);     /* unsigned: no overflow UB */
}

/* Tag and named-property header (6.5) for the next free named id. */
static void
g_named(struct gen *g, uint16_t type, const unsigned char guid[16], const char *name,
	uint32_t lid)
{
	g_tag(g, (uint32_t)g->next_named++ << 16 | type);
	g_put(g, guid, 16);
	g_put(g, name ? "\1" : "\0", 1);
	if (name)
		g_utf16(g, name);
	else
		g_u32(g, lid);
}

/* Keywords (categories) as a multi-valued code-page string, 0x94B0 (6.3). */
static void
g_keywords(struct gen *g, const char *const *v, size_t n)
{
	size_t i;

	if (n == 0 || n > UINT32_MAX)
		return;
	g_named(g, 0x94B0, fx_ps_public_strings, "Keywords", 0);
	g_u32(g, (uint32_t)n);
	for (i = 0; i < n; i++)
		g_strval(g, v[i] ? v[i] : "");
}

static void
g_init(struct gen *g, size_t max)
{
	memset(g, 0, sizeof *g);
	mbx_buf_init(&g->s, max);
	g->next_named = 0x8000;
}

static void
g_free(struct gen *g)
{
	mbx_buf_free(&g->s);
	free(g->cuts);
	free(g->ext);
}

/* ------------------------------------------------------- message layout */

/* Length of a "RE: "-style prefix (1-3 letters, colon, space), which Exchange keeps apart
 * as PidTagSubjectPrefix from PidTagNormalizedSubject; 0 when there is none. */
static size_t
subject_prefix(const char *s)
{
	size_t i = 0;

	while (i < 3 && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
		i++;
	return i > 0 && s[i] == ':' && s[i + 1] == ' ' ? i + 2 : 0;
}

/* FNV-1a over 8-byte words, then the tail bytes: the body can be megabytes, and a
 * byte at a time was the emulator's hottest loop on export. */
static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t w;

	for (; n >= 8; n -= 8, s += 8) {
		w = rd64(s);                    /* little-endian: the same id on any host */
		h = (h ^ w) * 0x100000001b3ULL;
	}
	while (n--)
		h = (h ^ *s++) * 0x100000001b3ULL;
	return h;
}

static uint64_t
fnv_str(uint64_t h, const char *s)
{
	return fnv(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

/* A deterministic PidTagInternetMessageId: a hash of what makes the message, at the
 * sender's domain. */
static void
message_id(const struct fx_msg *m, char *out, size_t n)
{
	const char *at = m->sender_address ? strrchr(m->sender_address, '@') : NULL;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	h = fnv_str(fnv_str(fnv_str(h, m->subject), m->body), m->sender_address);
	h = fnv(h, &m->delivery_time, sizeof m->delivery_time);
	for (i = 0; i < m->nrecips; i++)
		h = fnv_str(h, m->recips[i].address);
	for (i = 0; i < m->nattachs; i++)
		h = fnv(fnv_str(h, m->attachs[i].name), &m->attachs[i].len, sizeof(size_t));
	snprintf(out, n, "<%016llx.mbx@%s>", (unsigned long long)h,
		 at && at[1] ? at + 1 : "mbx.invalid");
}

/* Minimal layout: only what the struct gives, in the order of the worked example (10). */
static void
gen_props_minimal(struct gen *g, const struct fx_msg *m)
{
	g_string(g, 0x001A, m->message_class);
	g_string(g, 0x0037, m->subject);
	g_string(g, 0x0C1A, m->sender_name);
	if (m->sender_address)
		g_string(g, 0x0C1E, "SMTP");
	g_string(g, 0x0C1F, m->sender_address);
	if (m->delivery_time)
		g_time(g, 0x0E06, m->delivery_time);
	if (m->flags)
		g_int32(g, 0x0E07, m->flags);
	g_string(g, 0x1000, m->body);
	g_keywords(g, m->categories, m->ncategories);
}

/* A Sender (0x0C1x, 0x5D01) or SentRepresenting (0x004x, 0x5D02) block. */
static void
gen_who(struct gen *g, const char *name, const char *addr, uint16_t nid, uint16_t tid,
	uint16_t eid)
{
	if (!name && !addr)
		return;
	g_string(g, nid, name ? name : addr);
	if (addr) {
		g_string(g, tid, "SMTP");
		g_string(g, eid, addr);
	}
}

/* From is SentRepresenting, Sender the sender (MS-OXCMAIL 2.2.3.1.3-4); each stands in
 * for the other when it is missing. */
static int
has_from(const struct fx_msg *m)
{
	return m->from_name || m->from_address;
}

static const char *from_name(const struct fx_msg *m) { return has_from(m) ? m->from_name : m->sender_name; }
static const char *from_addr(const struct fx_msg *m) { return has_from(m) ? m->from_address : m->sender_address; }

static int
has_sender(const struct fx_msg *m)
{
	return m->sender_name || m->sender_address;
}

static const char *sender_name(const struct fx_msg *m) { return has_sender(m) ? m->sender_name : m->from_name; }
static const char *sender_addr(const struct fx_msg *m) { return has_sender(m) ? m->sender_address : m->from_address; }

/* A one-off EntryID (MS-OXCDATA 2.2.5.1) for an SMTP address, in a FlatEntry
 * (MS-OXCDATA 2.3.2): its size, the id, padding to 4 bytes. */
static void
oneoff(struct mbx_buf *b, const struct fx_recip *r)
{
	static const unsigned char head[24] = {
		0, 0, 0, 0, 0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19, 0x9D, 0x6E, 0x00, 0xDD,
		0x01, 0x0F, 0x54, 0x02, 0, 0, 0x01, 0x90 };    /* version 0; Unicode, no rich info */
	struct gen t;
	const char *strs[3] = { r->name ? r->name : r->address, "SMTP", r->address };
	unsigned char sz[4];
	size_t i;

	g_init(&t, 0);
	g_put(&t, head, sizeof head);
	for (i = 0; i < 3; i++)
		g_utf16(&t, strs[i] ? strs[i] : "");
	wr32(sz, (uint32_t)t.s.len);
	mbx_buf_append(b, sz, 4);
	mbx_buf_append(b, t.s.data, t.s.len);
	while (b->len % 4)
		mbx_buf_putc(b, 0);
	g_free(&t);
}

/* Reply-To: PidTagReplyRecipientEntries, a FlatEntryList (MS-OXCDATA 2.3.3), and
 * PidTagReplyRecipientNames, the names joined by "; " (MS-OXOMSG 2.2.1.45-46). */
static void
gen_reply_to(struct gen *g, const struct fx_msg *m)
{
	struct mbx_buf b, names;
	size_t i;

	if (m->nreply_to == 0 || m->nreply_to > 1024)
		return;
	mbx_buf_init(&b, 0);
	mbx_buf_init(&names, 0);
	mbx_buf_append(&b, "\0\0\0\0\0\0\0\0", 8);
	for (i = 0; i < m->nreply_to; i++) {
		const struct fx_recip *r = &m->reply_to[i];
		oneoff(&b, r);
		if (i)
			mbx_buf_puts(&names, "; ");
		mbx_buf_puts(&names, r->name ? r->name : r->address ? r->address : "");
	}
	wr32((unsigned char *)b.data, (uint32_t)m->nreply_to);
	wr32((unsigned char *)b.data + 4, (uint32_t)(b.len - 8));
	g_binary(g, 0x004F, b.data, b.len);
	g_string(g, 0x0050, names.data ? names.data : "");
	mbx_buf_free(&b);
	mbx_buf_free(&names);
}

/* The subject's parts: the prefix given, or the one found; the normalized rest. */
static const char *
subject_parts(const struct fx_msg *m, char *prefix, size_t n)
{
	size_t pl;

	prefix[0] = '\0';
	if (!m->subject)
		return NULL;
	if (m->subject_prefix) {
		mbx_strlcpy(prefix, m->subject_prefix, n);
		pl = strlen(m->subject_prefix);
		return strncmp(m->subject, m->subject_prefix, pl) == 0 ? m->subject + pl : m->subject;
	}
	pl = subject_prefix(m->subject);
	memcpy(prefix, m->subject, pl);
	prefix[pl] = '\0';
	return m->subject + pl;
}

/* 0x0017 to 0x007D: importance, class, sensitivity, subject, submit time, From,
 * Reply-To, topic, thread index, the header block. */
static void
gen_props_low(struct gen *g, const struct fx_msg *m, const char *prefix, const char *norm)
{
	int64_t submit = m->submit_time ? m->submit_time : m->delivery_time;

	g_int32(g, 0x0017, m->importance ? (uint32_t)m->importance - 1 : 1);
	g_string(g, 0x001A, m->message_class ? m->message_class : "IPM.Note");
	if (m->sensitivity)
		g_int32(g, 0x0036, m->sensitivity);
	g_string(g, 0x0037, m->subject);
	if (submit)
		g_time(g, 0x0039, submit);                   /* ClientSubmitTime */
	g_string(g, 0x003D, *prefix ? prefix : NULL);
	gen_who(g, from_name(m), from_addr(m), 0x0042, 0x0064, 0x0065);   /* SentRepresenting* */
	gen_reply_to(g, m);
	g_string(g, 0x0070, m->topic ? m->topic : norm);    /* ConversationTopic */
	g_binary(g, 0x0071, m->conv_index, m->conv_index_len);
	g_string(g, 0x007D, m->headers);
}

/* Realistic layout (12.8), ascending property ids, named properties last. The subject
 * ids interleave with the others: 0x0037, 0x003D prefix, 0x0070 topic, 0x0E1D. */
static void
gen_props_full(struct gen *g, const struct fx_msg *m)
{
	char prefix[64], mid[512];
	const char *norm = subject_parts(m, prefix, sizeof prefix);
	size_t i;

	gen_props_low(g, m, prefix, norm);
	gen_who(g, sender_name(m), sender_addr(m), 0x0C1A, 0x0C1E, 0x0C1F);   /* Sender* */
	if (m->delivery_time)
		g_time(g, 0x0E06, m->delivery_time);
	if (m->flags || m->write_flags)
		g_int32(g, 0x0E07, m->flags);
	g_string(g, 0x0E1D, norm);                          /* NormalizedSubject */
	g_string(g, 0x1000, m->body);
	g_binary(g, 0x1013, m->html, m->html_len);
	if (m->html || m->body)
		g_int32(g, 0x1016, m->html ? 3 : 1);         /* NativeBody HTML or plain */
	if (!m->message_id)
		message_id(m, mid, sizeof mid);
	g_string(g, 0x1035, !m->message_id ? mid : *m->message_id ? m->message_id : NULL);
	g_string(g, 0x1039, m->references);
	g_string(g, 0x1042, m->in_reply_to);
	if (m->flag_status)
		g_int32(g, 0x1090, m->flag_status);
	g_int32(g, 0x3FDE, m->codepage ? m->codepage : 65001);   /* InternetCodepage */
	g_int32(g, 0x3FF1, 1033);                           /* MessageLocaleId en-US */
	g_string(g, 0x5D01, sender_addr(m));
	g_string(g, 0x5D02, from_addr(m));
	g_named(g, 0x000B, fx_ps_common, NULL, 0x8503);        /* PidLidReminderSet = false */
	g_u16(g, 0);
	g_keywords(g, m->categories, m->ncategories);
	for (i = 0; i < m->nxheaders; i++) {
		if (!m->xheaders[i].name || !m->xheaders[i].value)
			continue;
		g_named(g, 0x84B0, fx_ps_internet_headers, m->xheaders[i].name, 0);
		g_strval(g, m->xheaders[i].value);
	}
}

/* 12.3.2: Rowid first, the rest ascending. */
static void
gen_recip(struct gen *g, const struct fx_recip *r, uint32_t i, int full)
{
	const char *name = r->name ? r->name : full ? r->address : NULL;

	g_tag(g, MK_START_RECIP);
	g_int32(g, 0x3000, i);
	g_int32(g, 0x0C15, r->type ? (uint32_t)r->type : 1);
	if (full)
		g_int32(g, 0x0FFE, 6);                       /* ObjectType mail user */
	g_string(g, 0x3001, name);
	if (r->address) {
		g_string(g, 0x3002, "SMTP");
		g_string(g, 0x3003, r->address);
	}
	if (full) {
		g_int32(g, 0x3900, 0);                       /* DisplayType mail user */
		g_string(g, 0x39FE, r->address);
		g_int32(g, 0x5FFD, 1);                       /* RecipientFlags sendable */
	}
	g_tag(g, MK_END_RECIP);
}

static const char *
guess_mime(const char *ext)
{
	static const char *const map[][2] = {
		{ ".txt", "text/plain" }, { ".htm", "text/html" }, { ".html", "text/html" },
		{ ".csv", "text/csv" }, { ".png", "image/png" }, { ".gif", "image/gif" },
		{ ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" }, { ".pdf", "application/pdf" },
		{ ".zip", "application/zip" }, { ".eml", "message/rfc822" },
	};
	size_t i;

	for (i = 0; ext && i < sizeof map / sizeof map[0]; i++)
		if (strcasecmp(ext, map[i][0]) == 0)
			return map[i][1];
	return "application/octet-stream";
}

/* The data: held, by callback, or none for an embedded message (method 5). */
static void
gen_attach_data(struct gen *g, const struct fx_attach *a, const struct fx_attach_ext *x)
{
	if (x && x->embedded)
		return;
	if (x && x->data)
		g_binary_ext(g, 0x3701, x->data, x->data_ctx, a->len);
	else
		g_binary(g, 0x3701, a->data, a->len);
}

/* Realistic attachment properties after AttachNumber (12.8); returns where the
 * AttachSize value sits so that it can be filled in once the attachment is written.
 * An attachment converted from MIME (x) is for import and has none. */
static size_t
gen_attach_full(struct gen *g, const struct fx_attach *a, const struct fx_attach_ext *x)
{
	const char *dot = a->name ? strrchr(a->name, '.') : NULL;
	size_t sizepos = 0;

	if (!x) {       /* the store computes it (MS-OXCMSG 2.2.2.5): exports only */
		g_tag(g, 0x0E200003);                       /* AttachSize, patched */
		sizepos = g->s.len;
		g_u32(g, 0);
	} else {
		g_string(g, 0x3001, x->display_name);
	}
	gen_attach_data(g, a, x);
	g_string(g, 0x3703, dot && dot != a->name ? dot : NULL);
	g_string(g, 0x3704, a->name);
	g_int32(g, 0x3705, x && x->embedded ? 5 : 1);       /* by value, or embedded */
	g_string(g, 0x3707, a->name);
	g_int32(g, 0x370B, 0xFFFFFFFF);                     /* RenderingPosition: not inline */
	g_string(g, 0x370E, a->mime ? a->mime : guess_mime(dot));
	if (x) {
		g_string(g, 0x3712, x->content_id);
		g_string(g, 0x3713, x->content_location);
		if (x->flags)
			g_int32(g, 0x3714, x->flags);
		g_string(g, 0x371B, x->charset);
		if (x->hidden)
			g_bool(g, 0x7FFE, 1);
	}
	return sizepos;
}

static void gen_content(struct gen *g, const struct fx_msg *m, int depth);

/* 12.3.3: NewAttach, AttachNumber first, [StartEmbed ... EndEmbed], EndAttach. */
static void
gen_attach(struct gen *g, const struct fx_msg *m, uint32_t i, int full, int depth)
{
	const struct fx_attach *a = &m->attachs[i];
	const struct fx_attach_ext *x = m->attach_ext && full ? &m->attach_ext[i] : NULL;
	size_t start = g_pos(g), sizepos = 0;

	g_tag(g, MK_NEW_ATTACH);
	g_int32(g, 0x0E21, i);
	if (full) {
		sizepos = gen_attach_full(g, a, x);
	} else {
		g_int32(g, 0x3705, 1);
		g_string(g, 0x3707, a->name);
		g_string(g, 0x370E, a->mime);
		g_binary(g, 0x3701, a->data, a->len);
	}
	if (x && x->embedded) {
		g_tag(g, MK_START_EMBED);
		gen_content(g, x->embedded, depth + 1);
		g_tag(g, MK_END_EMBED);
	}
	g_tag(g, MK_END_ATTACH);
	if (full && !x)   /* the attachment object's size: its encoded properties */
		g_patch32(g, sizepos, g_pos(g) - start);
}

/* messageContent (7): the properties, the recipients, the attachments; the top level
 * says with FXDelProps to replace both lists (12.3.4), an embedded message does not. */
static void
gen_content(struct gen *g, const struct fx_msg *m, int depth)
{
	int full = !m->minimal || depth > 0;
	size_t i;

	if (depth > FX_MAX_EMBED) {
		g->err = 1;
		return;
	}
	if (full)
		gen_props_full(g, m);
	else
		gen_props_minimal(g, m);
	if (depth == 0)
		g_int32(g, 0x4016, FX_DEL_RECIPS);              /* 12.3.4: always both */
	for (i = 0; i < m->nrecips && !g->err; i++)
		gen_recip(g, &m->recips[i], (uint32_t)i, full);
	if (depth == 0)
		g_int32(g, 0x4016, FX_DEL_ATTACHS);
	for (i = 0; i < m->nattachs && !g->err; i++)
		gen_attach(g, m, (uint32_t)i, full, depth);
}

/* ------------------------------------------------------------ framing */

/* The end of the TransferBuffer that starts at pos: the last legal cut <= pos + 31680.
 * *k walks the (ascending) cut list forward across calls. 0 if there is none. */
static size_t
pick_cut(const struct gen *g, size_t *k, size_t pos)
{
	size_t want = pos + FX_MAX_TB, j;

	if (g->ncuts == 0)
		return 0;
	while (*k + 1 < g->ncuts && g->cuts[*k + 1].a <= want)
		++*k;
	for (j = *k + 1; j-- > 0;) {
		const struct cutr *c = &g->cuts[j];
		size_t at = c->b < want ? c->b : want;
		if (c->b <= pos)
			break;
		if (c->a > want)
			continue;
		if (c->utf16 && (at - c->base) % 2)
			at--;
		if (at >= c->a && at > pos)
			return at;
	}
	return 0;
}

struct fx_blob {
	struct gen g;
	size_t *tb, ntb;           /* where each TransferBuffer ends in the stream */
	size_t size;               /* the framed blob */
};

#define FX_HEAD_BYTES 62       /* Config, IsInterfaceOk, TellPartnerVersion (3) */

/* 3.2, 12.2: TransferBuffers of at most 31680 bytes, cut where a cut is legal. */
static int
lay_buffers(struct fx_blob *b)
{
	size_t pos = 0, k = 0, len = g_pos(&b->g), cap = len / 4096 + 4, cut;

	b->tb = mbx_xmalloc(cap * sizeof *b->tb);
	while (pos < len) {
		cut = len - pos <= FX_MAX_TB ? len : pick_cut(&b->g, &k, pos);
		if (cut == 0)
			return -1;
		if (b->ntb == cap)
			b->tb = mbx_xrealloc(b->tb, (cap *= 2) * sizeof *b->tb);
		b->tb[b->ntb++] = cut;
		pos = cut;
	}
	b->size = FX_HEAD_BYTES + 8 * b->ntb + len;
	return 0;
}

struct fx_blob *
fx_layout(const struct fx_msg *m, size_t max)
{
	struct fx_blob *b = mbx_xcalloc(1, sizeof *b);

	g_init(&b->g, max);
	gen_content(&b->g, m, 0);
	if (b->g.err || lay_buffers(b) < 0) {
		fx_blob_free(b);
		return NULL;
	}
	free(b->g.cuts);           /* only the buffer ends are needed from here */
	b->g.cuts = NULL;
	b->g.ncuts = b->g.capcuts = 0;
	return b;
}

size_t
fx_blob_size(const struct fx_blob *b)
{
	return b->size;
}

void
fx_blob_free(struct fx_blob *b)
{
	if (!b)
		return;
	g_free(&b->g);
	free(b->tb);
	free(b);
}

/* The writer of the stream: puts a TransferBuffer record header before each buffer as
 * the stream's bytes pass. */
struct tbw {
	const struct fx_blob *b;
	fx_put_fn put;
	void *ctx;
	size_t pos, k;             /* stream position, next buffer */
	size_t want;               /* bytes an external piece still owes */
};

static int
tbw_put(void *p, const void *data, size_t n)
{
	struct tbw *w = p;
	const char *d = data;
	unsigned char h[8];

	if (n > w->want)
		return -1;          /* a callback wrote more than its length */
	w->want -= n;
	while (n > 0) {
		size_t start = w->k ? w->b->tb[w->k - 1] : 0, end = w->b->tb[w->k], take;
		if (w->pos == start) {
			wr32(h, 2);
			wr32(h + 4, (uint32_t)(end - start));
			if (w->put(w->ctx, h, 8) < 0)
				return -1;
		}
		take = end - w->pos < n ? end - w->pos : n;
		if (w->put(w->ctx, d, take) < 0)
			return -1;
		w->pos += take;
		d += take;
		n -= take;
		if (w->pos == end)
			w->k++;
	}
	return 0;
}

static int
tbw_held(struct tbw *w, size_t from, size_t to)
{
	w->want = to - from;
	return to > from ? tbw_put(w, w->b->g.s.data + from, to - from) : 0;
}

int
fx_blob_write(const struct fx_blob *b, fx_put_fn put, void *ctx)
{
	static const unsigned char head[FX_HEAD_BYTES] = {
		1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,                  /* Config */
		3, 0, 0, 0, 24, 0, 0, 0, 1, 0, 0, 0, 0x07, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00,
		0x00, 0xC0, 0, 0, 0, 0, 0, 0, 0x46, 0x00, 0x24, 0x00, 0x80,       /* IsInterfaceOk */
		4, 0, 0, 0, 6, 0, 0, 0, 0x14, 0x0F, 0xD6, 0x91, 0x86, 0x17 };    /* TellPartnerVersion */
	struct tbw w = { b, put, ctx, 0, 0, 0 };
	size_t held = 0, i;

	if (put(ctx, head, sizeof head) < 0)
		return -1;
	for (i = 0; i < b->g.next; i++) {
		const struct ext *e = &b->g.ext[i];
		if (tbw_held(&w, held, e->at) < 0)
			return -1;
		held = e->at;
		w.want = e->len;
		if (e->fn(e->ctx, tbw_put, &w) < 0 || w.want != 0)
			return -1;      /* failed, or wrote fewer bytes than its length */
	}
	return tbw_held(&w, held, b->g.s.len);
}

static int
buf_put(void *ctx, const void *p, size_t n)
{
	return mbx_buf_append(ctx, p, n);
}

int
fx_generate(struct mbx_buf *out, const struct fx_msg *m)
{
	struct fx_blob *b = fx_layout(m, out->max);
	size_t keep = out->len;
	int rc = -1;

	if (b && mbx_buf_reserve(out, b->size) == 0)
		rc = fx_blob_write(b, buf_put, out);
	if (rc < 0 && out->data) {
		out->len = keep;
		out->data[keep] = '\0';
	}
	fx_blob_free(b);
	return rc;
}
