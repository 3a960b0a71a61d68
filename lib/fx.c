/* fx.c: the FastTransfer codec of docs/fasttransfer.md: a generator that builds framed
 * export blobs (sections 3, 7, 9, 10, 12), a parser that reads them back into a tree or
 * just checks them (sections 4-8, 11), and the JSON report of section 11.5. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mbx.h"

#define FX_MAX_TB 31680u            /* largest TransferBuffer Exchange writes (3.2) */
#define FX_MAX_EMBED 32             /* nesting cap for embedded messages (11.4) */
#define FX_MAX_NAME 1024            /* named-property name cap in bytes (6.5) */
#define FX_MAX_WARN 64              /* warnings kept in an item; the rest are counted */
#define FX_MAX_SCOPE (2 * FX_MAX_EMBED + 4)
#define FX_REPORT_DEPTH 6           /* embedded reports nested at most this deep (mbx_jw) */
#define FX_FT_UNIX 116444736000000000ULL   /* FILETIME of 1970-01-01 (11.5) */

/* Markers (5.1): no value, recognised by the whole 32-bit value. */
enum {
	MK_NEW_ATTACH = 0x40000003, MK_START_EMBED = 0x40010003, MK_END_EMBED = 0x40020003,
	MK_START_RECIP = 0x40030003, MK_END_RECIP = 0x40040003, MK_START_MESSAGE = 0x400C0003,
	MK_END_MESSAGE = 0x400D0003, MK_END_ATTACH = 0x400E0003, MK_START_FAI = 0x40100003
};
static const struct {
	uint32_t tag;
	const char *name;
} fx_markers[] = {
	{ 0x40090003, "StartTopFld" }, { 0x400A0003, "StartSubFld" },
	{ 0x400B0003, "EndFolder" }, { 0x400C0003, "StartMessage" },
	{ 0x40100003, "StartFAIMsg" }, { 0x400D0003, "EndMessage" },
	{ 0x40030003, "StartRecip" }, { 0x40040003, "EndToRecip" },
	{ 0x40000003, "NewAttach" }, { 0x400E0003, "EndAttach" },
	{ 0x40010003, "StartEmbed" }, { 0x40020003, "EndEmbed" },
	{ 0x40120003, "IncrSyncChg" }, { 0x407D0003, "IncrSyncChgPartial" },
	{ 0x40130003, "IncrSyncDel" }, { 0x40140003, "IncrSyncEnd" },
	{ 0x402F0003, "IncrSyncRead" }, { 0x403A0003, "IncrSyncStateBegin" },
	{ 0x403B0003, "IncrSyncStateEnd" }, { 0x4074000B, "IncrSyncProgressMode" },
	{ 0x4075000B, "IncrSyncProgressPerMsg" }, { 0x40150003, "IncrSyncMessage" },
	{ 0x407B0102, "IncrSyncGroupInfo" }, { 0x40180003, "FXErrorInfo" },
};

/* Meta-properties (5.2): they have values; matched by id, whatever the type. */
#define FX_FXDELPROP 0x40160003u
#define FX_IDSET_GIVEN 0x40170003u  /* typed Integer32, encoded as binary (5.2) */
#define FX_DEL_RECIPS 0x0E12000Du
#define FX_DEL_ATTACHS 0x0E13000Du
static const struct {
	uint16_t id;
	const char *name;
} fx_metas[] = {
	{ 0x4008, "MetaTagDnPrefix" }, { 0x400F, "MetaTagEcWarning" },
	{ 0x4011, "MetaTagNewFXFolder" }, { 0x4016, "MetaTagFXDelProp" },
	{ 0x4017, "MetaTagIdsetGiven" }, { 0x407A, "MetaTagIncrementalSyncMessagePartial" },
	{ 0x407C, "MetaTagIncrSyncGroupId" },
};

/* Property sets (6.6), in GUID wire layout. */
static const unsigned char ps_common[16] = {
	0x08, 0x20, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0, 0, 0, 0, 0, 0, 0x46 };
static const unsigned char ps_public_strings[16] = {
	0x29, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0, 0, 0, 0, 0, 0, 0x46 };

static const char *
marker_name(uint32_t tag)
{
	size_t i;

	for (i = 0; i < sizeof fx_markers / sizeof fx_markers[0]; i++)
		if (fx_markers[i].tag == tag)
			return fx_markers[i].name;
	return NULL;
}

static const char *
meta_name(uint32_t tag)
{
	size_t i;

	for (i = 0; i < sizeof fx_metas / sizeof fx_metas[0]; i++)
		if (fx_metas[i].id == tag >> 16)
			return fx_metas[i].name;
	return NULL;
}

static uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t
rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static void
wr32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* ================================================================ generator */

/* A place where a TransferBuffer may end (3.2): a..b inclusive; for UTF-16 values only
 * at an even distance from base, the first byte of the value. */
struct cutr {
	size_t a, b, base;
	int utf16;
};

struct gen {
	struct mbx_buf s;          /* the FastTransfer stream */
	struct cutr *cuts;
	size_t ncuts, capcuts;
	int err;
	uint16_t next_named;       /* 12.3.6: named ids from 0x8000 up */
};

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
	g_cut(g, g->s.len, g->s.len, g->s.len, 0);
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
static uint32_t
utf8_next(const unsigned char **sp)
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
		uint32_t c = utf8_next(&s);
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
	size_t lenpos = g->s.len, vs;

	g_u32(g, 0);
	vs = g->s.len;
	g_utf16(g, text);
	g_patch32(g, lenpos, g->s.len - vs);
	if (g->s.len >= vs + 4)
		g_cut(g, vs + 2, g->s.len - 2, vs, 1);
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
	vs = g->s.len;
	g_put(g, data, len);
	g_cut(g, vs + 1, vs + len - 1, vs, 0);
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
	g_named(g, 0x94B0, ps_public_strings, "Keywords", 0);
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
message_id(const struct mbx_fx_msg *m, char *out, size_t n)
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
gen_props_minimal(struct gen *g, const struct mbx_fx_msg *m)
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

/* Sender (0x0C1x, 0x5D01) or SentRepresenting (0x004x, 0x5D02) block. */
static void
gen_who(struct gen *g, const struct mbx_fx_msg *m, uint16_t name, uint16_t type,
	uint16_t email)
{
	if (!m->sender_name && !m->sender_address)
		return;
	g_string(g, name, m->sender_name ? m->sender_name : m->sender_address);
	if (m->sender_address) {
		g_string(g, type, "SMTP");
		g_string(g, email, m->sender_address);
	}
}

/* Realistic layout (12.8), ascending property ids, named properties last. The subject
 * ids interleave with the others: 0x0037, 0x003D prefix, 0x0070 topic, 0x0E1D. */
static void
gen_props_full(struct gen *g, const struct mbx_fx_msg *m)
{
	size_t pl = m->subject ? subject_prefix(m->subject) : 0;
	const char *norm = m->subject ? m->subject + pl : NULL;
	char prefix[8] = "", mid[512];

	memcpy(prefix, m->subject ? m->subject : "", pl);
	g_int32(g, 0x0017, 1);                              /* Importance normal */
	g_string(g, 0x001A, m->message_class ? m->message_class : "IPM.Note");
	g_string(g, 0x0037, m->subject);
	if (m->delivery_time)
		g_time(g, 0x0039, m->delivery_time);         /* ClientSubmitTime */
	g_string(g, 0x003D, pl ? prefix : NULL);
	gen_who(g, m, 0x0042, 0x0064, 0x0065);              /* SentRepresenting* */
	g_string(g, 0x0070, norm);                          /* ConversationTopic */
	gen_who(g, m, 0x0C1A, 0x0C1E, 0x0C1F);              /* Sender* */
	if (m->delivery_time)
		g_time(g, 0x0E06, m->delivery_time);
	if (m->flags)
		g_int32(g, 0x0E07, m->flags);
	g_string(g, 0x0E1D, norm);                          /* NormalizedSubject */
	g_string(g, 0x1000, m->body);
	if (m->body)
		g_int32(g, 0x1016, 1);                       /* NativeBody plain */
	message_id(m, mid, sizeof mid);
	g_string(g, 0x1035, mid);
	g_int32(g, 0x3FDE, 65001);                          /* InternetCodepage UTF-8 */
	g_int32(g, 0x3FF1, 1033);                           /* MessageLocaleId en-US */
	g_string(g, 0x5D01, m->sender_address);
	g_string(g, 0x5D02, m->sender_address);
	g_named(g, 0x000B, ps_common, NULL, 0x8503);        /* PidLidReminderSet = false */
	g_u16(g, 0);
	g_keywords(g, m->categories, m->ncategories);
}

/* 12.3.2: Rowid first, the rest ascending. */
static void
gen_recip(struct gen *g, const struct mbx_fx_recip *r, uint32_t i, int full)
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

/* Realistic attachment properties after AttachNumber (12.8); returns where the
 * AttachSize value sits so that it can be filled in once the attachment is written. */
static size_t
gen_attach_full(struct gen *g, const struct mbx_fx_attach *a)
{
	const char *dot = a->name ? strrchr(a->name, '.') : NULL;
	size_t sizepos;

	g_tag(g, 0x0E200003);                               /* AttachSize, patched */
	sizepos = g->s.len;
	g_u32(g, 0);
	g_binary(g, 0x3701, a->data, a->len);
	g_string(g, 0x3703, dot && dot != a->name ? dot : NULL);
	g_string(g, 0x3704, a->name);
	g_int32(g, 0x3705, 1);                              /* by value */
	g_string(g, 0x3707, a->name);
	g_int32(g, 0x370B, 0xFFFFFFFF);                     /* RenderingPosition: not inline */
	g_string(g, 0x370E, a->mime ? a->mime : guess_mime(dot));
	return sizepos;
}

/* 12.3.3: NewAttach, AttachNumber first, EndAttach. */
static void
gen_attach(struct gen *g, const struct mbx_fx_attach *a, uint32_t i, int full)
{
	size_t start = g->s.len, sizepos = 0;

	g_tag(g, MK_NEW_ATTACH);
	g_int32(g, 0x0E21, i);
	if (full) {
		sizepos = gen_attach_full(g, a);
	} else {
		g_int32(g, 0x3705, 1);
		g_string(g, 0x3707, a->name);
		g_string(g, 0x370E, a->mime);
		g_binary(g, 0x3701, a->data, a->len);
	}
	g_tag(g, MK_END_ATTACH);
	if (full)       /* the attachment object's size: its encoded properties */
		g_patch32(g, sizepos, g->s.len - start);
}

static void
gen_message(struct gen *g, const struct mbx_fx_msg *m)
{
	int full = !m->minimal;
	size_t i;

	if (full)
		gen_props_full(g, m);
	else
		gen_props_minimal(g, m);
	g_int32(g, 0x4016, FX_DEL_RECIPS);                  /* 12.3.4: always both */
	for (i = 0; i < m->nrecips && !g->err; i++)
		gen_recip(g, &m->recips[i], (uint32_t)i, full);
	g_int32(g, 0x4016, FX_DEL_ATTACHS);
	for (i = 0; i < m->nattachs && !g->err; i++)
		gen_attach(g, &m->attachs[i], (uint32_t)i, full);
}

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

static void
frame_record(struct gen *g, struct mbx_buf *out, uint32_t op, const void *p, size_t n)
{
	unsigned char h[8];

	wr32(h, op);
	wr32(h + 4, (uint32_t)n);
	if (mbx_buf_append(out, h, 8) < 0 || mbx_buf_append(out, p, n) < 0)
		g->err = 1;
}

/* Outer records (3, 12.2): Config, IsInterfaceOk, TellPartnerVersion, TransferBuffers. */
static int
gen_frame(struct gen *g, struct mbx_buf *out)
{
	static const unsigned char config[8] = { 0, 0, 0, 0, 1, 0, 0, 0 };
	static const unsigned char iface[24] = {
		1, 0, 0, 0, 0x07, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
		0xC0, 0, 0, 0, 0, 0, 0, 0x46, 0x00, 0x24, 0x00, 0x80 };
	static const unsigned char version[6] = { 0x14, 0x0F, 0xD6, 0x91, 0x86, 0x17 };
	size_t pos = 0, k = 0, len = g->s.len;

	frame_record(g, out, 1, config, sizeof config);
	frame_record(g, out, 3, iface, sizeof iface);
	frame_record(g, out, 4, version, sizeof version);
	while (pos < len && !g->err) {
		size_t cut = len - pos <= FX_MAX_TB ? len : pick_cut(g, &k, pos);
		if (cut == 0)
			return -1;
		frame_record(g, out, 2, g->s.data + pos, cut - pos);
		pos = cut;
	}
	return g->err ? -1 : 0;
}

int
mbx_fx_generate(struct mbx_buf *out, const struct mbx_fx_msg *m)
{
	struct gen g;
	size_t keep = out->len;
	int rc = -1;

	g_init(&g, out->max);
	gen_message(&g, m);
	if (!g.err)
		rc = gen_frame(&g, out);
	if (rc < 0 && out->data) {
		out->len = keep;
		out->data[keep] = '\0';
	}
	g_free(&g);
	return rc;
}

/* ================================================================ parser */

enum { SC_MSG, SC_WRAP, SC_RECIP, SC_ATTACH, SC_EMBED };
static const char *const sc_name[] = { "message", "message", "recipient", "attachment",
	"embedded message" };
static const char *const sc_end[] = { "", "EndMessage", "EndToRecip", "EndAttach",
	"EndEmbed" };

struct tbuf {
	size_t off, len;
};

/* Parser state. it == NULL: only check (no tree, no warning texts). */
struct fxp {
	struct mbx_fx_item *it;
	const unsigned char *blob, *s;   /* the blob; the stream */
	size_t nblob, n, off;
	struct tbuf *tbs;
	size_t ntbs, captbs;
	int status, framing_status;
	char err[256], framing_err[256];
	int nscope, nembed;
	unsigned char scope[FX_MAX_SCOPE];
	unsigned char late[FX_MAX_SCOPE];          /* message scope: recipients/attachments began */
	unsigned long sprops[FX_MAX_SCOPE];        /* properties read in this scope */
	struct mbx_fx_obj *obj[FX_MAX_SCOPE];
	unsigned long nprops, nnamed, nwarn;
};

static void
warn(struct fxp *p, const char *fmt, ...) MBX_ATTR_PRINTF(2, 3);

static void
warn(struct fxp *p, const char *fmt, ...)
{
	struct mbx_fx_item *it = p->it;
	char msg[512];
	va_list ap;

	p->nwarn++;
	if (!it)
		return;
	it->nwarn_total++;
	if (it->nwarnings >= FX_MAX_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!it->warnings)
		it->warnings = mbx_xcalloc(FX_MAX_WARN, sizeof *it->warnings);
	it->warnings[it->nwarnings++] = mbx_strdup(msg);
}

static void
fail(struct fxp *p, int status, const char *fmt, ...) MBX_ATTR_PRINTF(3, 4);

static void
fail(struct fxp *p, int status, const char *fmt, ...)
{
	va_list ap;

	if (p->status)
		return;
	p->status = status;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof p->err, fmt, ap);
	va_end(ap);
}

/* 11.4: check before every read; what/tag name the element for the message. */
static int
need(struct fxp *p, uint64_t k, const char *what, uint32_t tag)
{
	char of[24] = "";

	if (k <= p->n - p->off)
		return 0;
	if (tag)
		snprintf(of, sizeof of, " of 0x%08X", (unsigned)tag);
	fail(p, MBX_FX_TRUNCATED, "truncated at stream offset %zu while reading %s%s "
	     "(need %llu bytes, have %zu)", p->off, what, of, (unsigned long long)k,
	     p->n - p->off);
	return -1;
}

/* ------------------------------------------------------------ framing (3, 11.1) */

static void
add_tbuf(struct fxp *p, size_t off, size_t len)
{
	if (p->ntbs == p->captbs) {
		p->captbs = p->captbs ? 2 * p->captbs : 16;
		p->tbs = mbx_xrealloc(p->tbs, p->captbs * sizeof *p->tbs);
	}
	p->tbs[p->ntbs++] = (struct tbuf){ off, len };
}

/* Config, IsInterfaceOk and TellPartnerVersion are only checked against 3.1; a
 * difference is worth a warning, not a failure. */
static void
framing_header(struct fxp *p, uint32_t op, const unsigned char *v, size_t len, size_t at)
{
	static const unsigned char config[8] = { 0, 0, 0, 0, 1, 0, 0, 0 };
	static const unsigned char iface[24] = {
		1, 0, 0, 0, 0x07, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
		0xC0, 0, 0, 0, 0, 0, 0, 0x46, 0x00, 0x24, 0x00, 0x80 };

	if (op == 1 && (len != 8 || memcmp(v, config, 8)))
		warn(p, "Config record at blob offset %zu differs from {0,1}", at);
	else if (op == 3 && (len != 24 || memcmp(v, iface, 24)))
		warn(p, "IsInterfaceOk record at blob offset %zu differs from "
		     "{1, IID_IMessage, 0x80002400}", at);
	else if (op == 4 && len != 6)
		warn(p, "TellPartnerVersion record at blob offset %zu has %zu bytes, not 6", at, len);
	else if (op == 4 && p->it) {
		memcpy(p->it->version, v, 6);
		p->it->has_version = 1;
	} else if (op != 1 && op != 3 && op != 4)
		warn(p, "unknown record opcode %u at blob offset %zu skipped", (unsigned)op, at);
}

/* One record at *pos; 0 more may follow, -1 the framing ended early (truncated). */
static int
framing_record(struct fxp *p, size_t *pos)
{
	size_t at = *pos, rest = p->nblob - at, len;
	uint32_t op;

	if (rest < 8) {
		p->framing_status = MBX_FX_TRUNCATED;
		snprintf(p->framing_err, sizeof p->framing_err, "truncated at blob offset %zu "
			 "while reading record header (need 8 bytes, have %zu)", at, rest);
		return -1;
	}
	op = rd32(p->blob + at);
	len = rd32(p->blob + at + 4);
	if (len > rest - 8) {
		p->framing_status = MBX_FX_TRUNCATED;
		snprintf(p->framing_err, sizeof p->framing_err, "truncated at blob offset %zu "
			 "while reading %s record (need %zu bytes, have %zu)", at + 8,
			 op == 2 ? "TransferBuffer" : "framing", len, rest - 8);
		if (op == 2 && rest > 8)     /* 11.1.2: take what is there */
			add_tbuf(p, at + 8, rest - 8);
		return -1;
	}
	if (op == 2 && len == 0)
		warn(p, "empty TransferBuffer at blob offset %zu", at);
	else if (op == 2)
		add_tbuf(p, at + 8, len);
	else
		framing_header(p, op, p->blob + at + 8, len, at);
	*pos = at + 8 + len;
	return 0;
}

/* The Config record's header is the framing signature (11.1.2); a blob shorter than
 * it that matches as far as it goes is a framed blob cut short. */
static int
is_framed(const unsigned char *b, size_t n)
{
	static const unsigned char sig[8] = { 1, 0, 0, 0, 8, 0, 0, 0 };

	return n > 0 && memcmp(b, sig, n < 8 ? n : 8) == 0;
}

/* Read the records; the stream is then the TransferBuffers joined, or the whole blob
 * when there is no framing signature (a bare stream, 11.1.2). */
static void
read_framing(struct fxp *p)
{
	size_t pos = 0;

	if (!is_framed(p->blob, p->nblob)) {
		add_tbuf(p, 0, p->nblob);
		return;
	}
	while (pos < p->nblob && framing_record(p, &pos) == 0)
		;
	if (p->ntbs == 0 && p->framing_status == MBX_FX_OK) {
		p->framing_status = MBX_FX_TRUNCATED;
		snprintf(p->framing_err, sizeof p->framing_err, "truncated at blob offset %zu: "
			 "no TransferBuffer record", p->nblob);
	}
}

/* Point p->s at the stream: in place for one buffer, else joined into *join. */
static void
join_stream(struct fxp *p, struct mbx_buf *join, int copy)
{
	size_t i;

	p->n = 0;
	for (i = 0; i < p->ntbs; i++)
		p->n += p->tbs[i].len;
	if (p->ntbs == 1 && !copy) {
		p->s = p->blob + p->tbs[0].off;
		return;
	}
	mbx_buf_init(join, p->n + 1);
	for (i = 0; i < p->ntbs; i++)
		mbx_buf_append(join, p->blob + p->tbs[i].off, p->tbs[i].len);
	p->s = (const unsigned char *)(join->data ? join->data : "");
}

/* ------------------------------------------------------------ values (6) */

static int
fixed_size(unsigned type)
{
	switch (type) {
	case 0x0002: case 0x000B:
		return 2;
	case 0x0003: case 0x0004: case 0x000A:
		return 4;
	case 0x0005: case 0x0006: case 0x0007: case 0x0014: case 0x0040:
		return 8;
	case 0x0048:
		return 16;
	}
	return 0;
}

/* Variable-size single values (6.2, 6.3): u32 length + bytes. */
static int
is_var(unsigned type)
{
	return type == 0x001E || type == 0x001F || type == 0x0102 || type == 0x000D ||
	       type == 0x00FB || ((type & 0x8000) && (type & 0x9000) != 0x9000);
}

/* Multi-valued (6.4; 0x9000 set = code-page MV string, 6.3): 1 with *fixed the size
 * of one value (0 = each has its own length), or 0 when not a multi-valued type. */
static int
mv_type(unsigned type, int *fixed)
{
	unsigned base = type & 0x0FFF;

	*fixed = 0;
	if ((type & 0x9000) == 0x9000)
		return 1;
	if ((type & 0xF000) != 0x1000)
		return 0;
	if (base == 0x001E || base == 0x001F || base == 0x0102)
		return 1;
	if (base == 0x000A || base == 0x000B)   /* no MV Boolean or ErrorCode (6.4) */
		return 0;
	*fixed = fixed_size(base);
	return *fixed > 0;
}

/* u32 count, then count values (6.4); p->off is after the tag and any name. */
static int
read_mv(struct fxp *p, struct mbx_fx_prop *pr, int fixed)
{
	size_t start;
	uint32_t i, len;

	if (need(p, 4, "count", pr->tag))
		return -1;
	pr->count = rd32(p->s + p->off);
	p->off += 4;
	start = p->off;
	if (need(p, (uint64_t)pr->count * (fixed ? (unsigned)fixed : 4u), "values", pr->tag))
		return -1;
	if (fixed) {
		p->off += (size_t)pr->count * (size_t)fixed;
	} else {
		for (i = 0; i < pr->count; i++) {
			if (need(p, 4, "value length", pr->tag))
				return -1;
			len = rd32(p->s + p->off);
			p->off += 4;
			if (need(p, len, "value", pr->tag))
				return -1;
			p->off += len;
		}
	}
	pr->val = p->s + start;
	pr->len = p->off - start;
	return 0;
}

static int
read_value(struct fxp *p, struct mbx_fx_prop *pr)
{
	unsigned type = pr->tag & 0xFFFF;
	int fixed = fixed_size(type), mvfixed;

	if (pr->tag == FX_IDSET_GIVEN)
		fixed = 0, type = 0x0102;
	if (fixed) {
		if (need(p, (unsigned)fixed, "value", pr->tag))
			return -1;
		pr->len = (size_t)fixed;
	} else if (is_var(type)) {
		if (need(p, 4, "length", pr->tag))
			return -1;
		pr->len = rd32(p->s + p->off);
		p->off += 4;
		if (need(p, pr->len, "value", pr->tag))
			return -1;
	} else if (mv_type(type, &mvfixed)) {
		return read_mv(p, pr, mvfixed);
	} else {
		fail(p, MBX_FX_CORRUPT, "unknown property type 0x%04X at offset %zu", type,
		     pr->offset);
		return -1;
	}
	pr->val = p->s + p->off;
	p->off += pr->len;
	return 0;
}

/* A NUL-terminated UTF-16 name of less than 1024 bytes (6.5). */
static int
read_name_text(struct fxp *p, struct mbx_fx_prop *pr)
{
	size_t i, avail = p->n - p->off;

	for (i = 0; i + 1 < avail && i < FX_MAX_NAME; i += 2)
		if (p->s[p->off + i] == 0 && p->s[p->off + i + 1] == 0)
			break;
	if (i >= FX_MAX_NAME) {
		fail(p, MBX_FX_CORRUPT, "named property name at stream offset %zu longer "
		     "than %d bytes", p->off, FX_MAX_NAME);
		return -1;
	}
	if (need(p, i + 2, "named property name", pr->tag))
		return -1;
	pr->name = p->s + p->off;
	pr->name_len = i;
	p->off += i + 2;
	return 0;
}

/* 6.5: GUID, kind, then a LID or a name; any other kind is corrupt. */
static int
read_name(struct fxp *p, struct mbx_fx_prop *pr)
{
	if (need(p, 17, "named property header", pr->tag))
		return -1;
	pr->guid = p->s + p->off;
	pr->kind = p->s[p->off + 16];
	p->off += 17;
	if (pr->kind == 1)
		return read_name_text(p, pr);
	if (pr->kind != 0) {
		fail(p, MBX_FX_CORRUPT, "named property kind %d at stream offset %zu "
		     "(expected 0 or 1)", pr->kind, p->off - 1);
		return -1;
	}
	if (need(p, 4, "named property LID", pr->tag))
		return -1;
	pr->lid = rd32(p->s + p->off);
	p->off += 4;
	return 0;
}

/* ------------------------------------------------------------ tree */

static struct mbx_fx_obj *
obj_new(int kind)
{
	struct mbx_fx_obj *o = mbx_xcalloc(1, sizeof *o);

	o->kind = kind;
	return o;
}

static void
obj_clear(struct mbx_fx_obj *o)
{
	size_t i;

	for (i = 0; i < o->nrecips; i++) {
		obj_clear(o->recips[i]);
		free(o->recips[i]);
	}
	for (i = 0; i < o->nattachs; i++) {
		obj_clear(o->attachs[i]);
		free(o->attachs[i]);
	}
	if (o->embedded) {
		obj_clear(o->embedded);
		free(o->embedded);
	}
	free(o->props);
	free(o->recips);
	free(o->attachs);
	memset(o, 0, sizeof *o);
}

/* Append child to a message's recipient or attachment list. */
static struct mbx_fx_obj *
obj_child(struct mbx_fx_obj *msg, int kind)
{
	struct mbx_fx_obj ***v = kind == MBX_FX_RECIP ? &msg->recips : &msg->attachs;
	size_t *n = kind == MBX_FX_RECIP ? &msg->nrecips : &msg->nattachs;
	size_t *cap = kind == MBX_FX_RECIP ? &msg->caprecips : &msg->capattachs;

	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 4;
		*v = mbx_xrealloc(*v, *cap * sizeof **v);
	}
	(*v)[*n] = obj_new(kind);
	return (*v)[(*n)++];
}

static void
obj_prop(struct mbx_fx_obj *o, const struct mbx_fx_prop *pr)
{
	if (o->nprops == o->capprops) {
		o->capprops = o->capprops ? 2 * o->capprops : 16;
		o->props = mbx_xrealloc(o->props, o->capprops * sizeof *o->props);
	}
	o->props[o->nprops++] = *pr;
}

/* ------------------------------------------------------------ structure (7, 11.2) */

static int top(const struct fxp *p) { return p->scope[p->nscope - 1]; }

static int
in_message(const struct fxp *p)
{
	int s = top(p);

	return s == SC_MSG || s == SC_WRAP || s == SC_EMBED;
}

static void
push(struct fxp *p, int sc, struct mbx_fx_obj *o)
{
	if (p->nscope >= FX_MAX_SCOPE) {      /* cannot happen below the embed cap */
		fail(p, MBX_FX_CORRUPT, "nesting too deep at stream offset %zu", p->off);
		return;
	}
	p->scope[p->nscope] = (unsigned char)sc;
	p->late[p->nscope] = 0;
	p->sprops[p->nscope] = 0;
	p->obj[p->nscope++] = o;
	if (sc == SC_EMBED)
		p->nembed++;
}

static void
pop(struct fxp *p)
{
	if (p->nscope <= 1)
		return;
	if (top(p) == SC_EMBED)
		p->nembed--;
	p->nscope--;
}

/* Close the innermost scope sc and whatever is open inside it: the number of inner
 * scopes that had to be closed with it, or -1 when no such scope is open. */
static int
unwind(struct fxp *p, int sc)
{
	int i = p->nscope - 1, extra;

	while (i > 0 && p->scope[i] != sc)
		i--;
	if (i == 0)
		return -1;
	extra = p->nscope - 1 - i;
	while (p->nscope > i)
		pop(p);
	return extra;
}

static void
end_scope(struct fxp *p, int sc, size_t at)
{
	int extra = unwind(p, sc);

	if (extra < 0)
		warn(p, "%s at stream offset %zu without a matching start: ignored",
		     sc_end[sc], at);
	else if (extra > 0)
		warn(p, "%s at stream offset %zu closes %d more open scope(s)", sc_end[sc], at,
		     extra);
}

/* A list element (StartRecip, NewAttach) belongs to a message: close an unterminated
 * recipient or attachment first, as the grammar has no other place for it. */
static int
open_child(struct fxp *p, int sc, const char *what, size_t at)
{
	while (top(p) == SC_RECIP || (sc == SC_ATTACH && top(p) == SC_ATTACH)) {
		warn(p, "%s at stream offset %zu inside an open %s (%s missing)", what, at,
		     sc_name[top(p)], sc_end[top(p)]);
		pop(p);
	}
	if (!in_message(p)) {
		warn(p, "%s at stream offset %zu outside a message: ignored", what, at);
		return -1;
	}
	if (!p->late[p->nscope - 1])
		p->late[p->nscope - 1] = 1;
	push(p, sc, p->it ? obj_child(p->obj[p->nscope - 1],
				       sc == SC_RECIP ? MBX_FX_RECIP : MBX_FX_ATTACH) : NULL);
	return 0;
}

static void
start_embed(struct fxp *p, size_t at)
{
	struct mbx_fx_obj *a = p->obj[p->nscope - 1], *m = NULL;

	if (top(p) != SC_ATTACH) {
		warn(p, "StartEmbed at stream offset %zu outside an attachment: ignored", at);
		return;
	}
	if (p->nembed >= FX_MAX_EMBED) {
		fail(p, MBX_FX_CORRUPT, "embedded messages nested deeper than %d at stream "
		     "offset %zu", FX_MAX_EMBED, at);
		return;
	}
	if (a) {
		if (a->embedded) {
			warn(p, "second StartEmbed in one attachment at stream offset %zu", at);
			obj_clear(a->embedded);
			free(a->embedded);
		}
		m = a->embedded = obj_new(MBX_FX_MESSAGE);
	}
	push(p, SC_EMBED, m);
}

/* 11.2: a StartMessage/StartFAIMsg wrapper around the root is accepted. */
static void
start_wrap(struct fxp *p, uint32_t m, size_t at)
{
	if (p->nscope == 1 && p->nprops == 0)
		push(p, SC_WRAP, p->obj[0]);
	else
		warn(p, "unexpected %s at stream offset %zu: ignored", marker_name(m), at);
}

static void
marker(struct fxp *p, uint32_t m, size_t at)
{
	switch (m) {
	case MK_START_RECIP:
		open_child(p, SC_RECIP, "StartRecip", at);
		break;
	case MK_NEW_ATTACH:
		open_child(p, SC_ATTACH, "NewAttach", at);
		break;
	case MK_START_EMBED:
		start_embed(p, at);
		break;
	case MK_START_MESSAGE: case MK_START_FAI:
		start_wrap(p, m, at);
		break;
	case MK_END_RECIP: end_scope(p, SC_RECIP, at); break;
	case MK_END_ATTACH: end_scope(p, SC_ATTACH, at); break;
	case MK_END_EMBED: end_scope(p, SC_EMBED, at); break;
	case MK_END_MESSAGE: end_scope(p, SC_WRAP, at); break;
	default:
		warn(p, "unexpected marker %s at stream offset %zu", marker_name(m), at);
	}
}

/* 7 and 11.2: where a property may stand; deviations are warnings. */
static void
check_place(struct fxp *p, const struct mbx_fx_prop *pr)
{
	int d = p->nscope - 1, sc = top(p);

	if (pr->tag == FX_FXDELPROP) {
		uint32_t v = rd32(pr->val);
		if (!in_message(p))
			warn(p, "MetaTagFXDelProp at stream offset %zu outside a message", pr->offset);
		else if (v != FX_DEL_RECIPS && v != FX_DEL_ATTACHS)
			warn(p, "MetaTagFXDelProp at stream offset %zu names 0x%08X", pr->offset,
			     (unsigned)v);
	} else if (pr->tag == 0x400F0003) {
		warn(p, "MetaTagEcWarning 0x%08X at stream offset %zu", (unsigned)rd32(pr->val),
		     pr->offset);
	} else if (in_message(p) && p->late[d] == 1 && !meta_name(pr->tag)) {
		p->late[d] = 2;         /* once per message */
		warn(p, "message property 0x%08X at stream offset %zu after recipients or "
		     "attachments", (unsigned)pr->tag, pr->offset);
	}
	if (p->sprops[d] == 0 && sc == SC_RECIP && pr->tag != 0x30000003)
		warn(p, "recipient at stream offset %zu does not start with PidTagRowid",
		     pr->offset);
	if (p->sprops[d] == 0 && sc == SC_ATTACH && pr->tag != 0x0E210003)
		warn(p, "attachment at stream offset %zu does not start with PidTagAttachNumber",
		     pr->offset);
}

static void
property(struct fxp *p, uint32_t tag, size_t at)
{
	struct mbx_fx_prop pr;
	unsigned type = tag & 0xFFFF;

	memset(&pr, 0, sizeof pr);
	pr.tag = tag;
	pr.offset = at;
	if ((tag >> 16) >= 0x8000 && read_name(p, &pr) < 0)
		return;
	if (read_value(p, &pr) < 0)
		return;
	if ((type == 0x001F || type == 0x84B0) && pr.len % 2)
		warn(p, "odd-length UTF-16 value of 0x%08X at stream offset %zu", (unsigned)tag,
		     at);
	check_place(p, &pr);
	p->nprops++;
	p->nnamed += pr.guid != NULL;
	p->sprops[p->nscope - 1]++;
	if (p->obj[p->nscope - 1])
		obj_prop(p->obj[p->nscope - 1], &pr);
}

/* 11.3/11.4: an open scope at the end of the data means the stream was cut short. */
static void
finish(struct fxp *p)
{
	int sc = top(p);

	if (p->nscope > 1)
		fail(p, MBX_FX_TRUNCATED, "truncated at stream offset %zu: end of data inside "
		     "an open %s (%s missing)", p->n, sc_name[sc], sc_end[sc]);
	else if (p->n == 0 && !p->framing_status)   /* no item is empty (12.3.4) */
		fail(p, MBX_FX_TRUNCATED, "truncated at stream offset 0: no data");
}

static void
parse_stream(struct fxp *p)
{
	while (!p->status && p->off < p->n) {
		size_t at = p->off;
		uint32_t tag;

		if (need(p, 4, "tag", 0))
			break;
		tag = rd32(p->s + at);
		p->off += 4;
		if (marker_name(tag))
			marker(p, tag, at);
		else
			property(p, tag, at);
	}
	if (!p->status)
		finish(p);
}

/* Framing first, then the stream; the stream's own error wins over a framing
 * truncation, which then becomes a warning. */
static void
run(struct fxp *p, struct mbx_buf *join, int copy)
{
	read_framing(p);
	join_stream(p, join, copy);
	push(p, SC_MSG, p->it ? &p->it->root : NULL);
	parse_stream(p);
	if (p->framing_status && p->status)
		warn(p, "%s", p->framing_err);
	else if (p->framing_status)
		fail(p, p->framing_status, "%s", p->framing_err);
}

static void
fxp_init(struct fxp *p, struct mbx_fx_item *it, const void *blob, size_t n)
{
	memset(p, 0, sizeof *p);
	p->it = it;
	p->blob = blob ? blob : (const void *)"";
	p->nblob = blob ? n : 0;
}

int
mbx_fx_check(const void *blob, size_t n, char *err, size_t errlen)
{
	struct fxp p;
	struct mbx_buf join = { NULL, 0, 0, 0 };

	fxp_init(&p, NULL, blob, n);
	run(&p, &join, 0);
	if (err && errlen)
		snprintf(err, errlen, "%s", p.err);
	mbx_buf_free(&join);
	free(p.tbs);
	return p.status;
}

int
mbx_fx_parse(struct mbx_fx_item *it, const void *blob, size_t n)
{
	struct fxp p;
	size_t i;

	memset(it, 0, sizeof *it);
	it->root.kind = MBX_FX_MESSAGE;
	fxp_init(&p, it, blob, n);
	run(&p, &it->stream, 1);
	it->status = p.status;
	snprintf(it->error, sizeof it->error, "%s", p.err);
	it->framed = is_framed(p.blob, p.nblob);
	it->blob_bytes = n;
	it->nprops = p.nprops;
	it->nnamed = p.nnamed;
	if (it->framed && p.ntbs) {
		it->tbufs = mbx_xcalloc(p.ntbs, sizeof *it->tbufs);
		for (i = 0; i < p.ntbs; i++)
			it->tbufs[i] = p.tbs[i].len;
		it->ntbufs = p.ntbs;
	}
	free(p.tbs);
	return it->status;
}

void
mbx_fx_item_free(struct mbx_fx_item *it)
{
	size_t i;

	obj_clear(&it->root);
	for (i = 0; i < it->nwarnings; i++)
		free(it->warnings[i]);
	free(it->warnings);
	free(it->tbufs);
	mbx_buf_free(&it->stream);
	memset(it, 0, sizeof *it);
}

/* ================================================================ accessors */

const struct mbx_fx_prop *
mbx_fx_get(const struct mbx_fx_obj *o, uint16_t id)
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
static unsigned
elem_type(unsigned t)
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
			if (put_utf8(b, utf8_next(&s), max) < 0)
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

static char *
text_of(unsigned type, const unsigned char *v, size_t len, size_t max)
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
mbx_fx_text(const struct mbx_fx_prop *p, size_t max)
{
	if (!p || p->tag == FX_IDSET_GIVEN || elem_type(p->tag & 0xFFFF))
		return NULL;
	return text_of(p->tag & 0xFFFF, p->val, p->len, max);
}

/* Element i of a multi-valued variable-size property (lengths checked by the parser). */
static const unsigned char *
mv_elem(const struct mbx_fx_prop *p, uint32_t i, size_t *len)
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
mbx_fx_text_at(const struct mbx_fx_prop *p, uint32_t i, size_t max)
{
	unsigned et = p ? elem_type(p->tag & 0xFFFF) : 0;
	const unsigned char *v;
	size_t len;

	if (!et || i >= p->count || text_kind(et) == TX_NONE || !(v = mv_elem(p, i, &len)))
		return NULL;
	return text_of(et, v, len, max);
}

int
mbx_fx_int(const struct mbx_fx_prop *p, long long *out)
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
const struct mbx_fx_prop *
mbx_fx_get_named(const struct mbx_fx_obj *o, const unsigned char guid[16], uint32_t lid,
		 const char *name)
{
	size_t i;

	for (i = 0; o && i < o->nprops; i++) {
		const struct mbx_fx_prop *p = &o->props[i];
		char *n;
		int eq;
		if (!p->guid || memcmp(p->guid, guid, 16) || p->kind != (name != NULL))
			continue;
		if (!name) {
			if (p->lid == lid)
				return p;
			continue;
		}
		n = text_of(0x001F, p->name, p->name_len, 0);
		eq = strcasecmp(n, name) == 0;
		free(n);
		if (eq)
			return p;
	}
	return NULL;
}

/* ================================================================ JSON report (11.5) */

#define FX_FIELD_MAX 1024           /* bytes of UTF-8 in a named field of the report */
#define FX_VALUE_MAX 256            /* ... in a property value summary */
#define FX_HEX_MAX 32               /* binary values: first bytes shown */
#define FX_MV_MAX 16                /* multi-valued: first values shown */

/* FILETIME as ISO-8601 UTC; the civil date from days since 1970 (H. Hinnant's
 * algorithm) so that no libc time range gets in the way. */
static void
iso_time(uint64_t ft, char *out, size_t n)
{
	long long secs = (long long)(ft / 10000000ULL) - 11644473600LL;
	long long days = secs / 86400, rem = secs % 86400, z, era, y;
	unsigned doe, yoe, doy, mp, d, m;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = (long long)yoe + era * 400 + (m <= 2);
	snprintf(out, n, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", y, m, d, rem / 3600,
		 rem / 60 % 60, rem % 60);
}

static void
guid_str(const unsigned char *g, char *out, size_t n)
{
	snprintf(out, n, "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}",
		 (unsigned)rd32(g), rd16(g + 4), rd16(g + 6), g[8], g[9], g[10], g[11], g[12],
		 g[13], g[14], g[15]);
}

static void
j_text(struct mbx_jw *w, const char *key, const struct mbx_fx_prop *p, size_t max)
{
	char *t = mbx_fx_text(p, max);

	mbx_jw_key(w, key);
	mbx_jw_str(w, t);
	free(t);
}

static void
j_int(struct mbx_jw *w, const char *key, const struct mbx_fx_prop *p)
{
	long long v;

	mbx_jw_key(w, key);
	if (mbx_fx_int(p, &v) == 0 && (p->tag & 0xFFFF) != 0x0040)
		mbx_jw_int(w, v);
	else
		mbx_jw_null(w);
}

static void
j_time(struct mbx_jw *w, const char *key, const struct mbx_fx_prop *p)
{
	char iso[40];

	mbx_jw_key(w, key);
	if (p && (p->tag & 0xFFFF) == 0x0040) {
		iso_time(rd64(p->val), iso, sizeof iso);
		mbx_jw_str(w, iso);
	} else {
		mbx_jw_null(w);
	}
}

/* Payload size of a variable-size property, or null. */
static void
j_len(struct mbx_jw *w, const char *key, const struct mbx_fx_prop *p)
{
	mbx_jw_key(w, key);
	if (p && (is_var(p->tag & 0xFFFF) || p->tag == FX_IDSET_GIVEN))
		mbx_jw_int(w, (long long)p->len);
	else
		mbx_jw_null(w);
}

static void
j_hex(struct mbx_jw *w, const unsigned char *v, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char out[2 * FX_HEX_MAX];
	size_t i, n = len < FX_HEX_MAX ? len : FX_HEX_MAX;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[v[i] >> 4];
		out[2 * i + 1] = hex[v[i] & 15];
	}
	mbx_jw_strn(w, out, 2 * n);
}

static void
j_double(struct mbx_jw *w, double d, int digits)
{
	char num[64];

	if (!isfinite(d)) {
		mbx_jw_str(w, isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
		return;
	}
	snprintf(num, sizeof num, "%.*g", digits, d);
	mbx_jw_raw(w, num);
}

static void
j_currency(struct mbx_jw *w, int64_t v)
{
	uint64_t a = v < 0 ? -(uint64_t)v : (uint64_t)v;
	char num[40];

	snprintf(num, sizeof num, "%s%llu.%04llu", v < 0 ? "-" : "",
		 (unsigned long long)(a / 10000), (unsigned long long)(a % 10000));
	mbx_jw_raw(w, num);
}

static double
rd_float(const unsigned char *v)
{
	uint32_t u = rd32(v);
	float f;

	memcpy(&f, &u, sizeof f);
	return f;
}

static double
rd_double(const unsigned char *v)
{
	uint64_t u = rd64(v);
	double d;

	memcpy(&d, &u, sizeof d);
	return d;
}

/* One value of wire type t (single-valued or an MV element) as a JSON summary. */
static void
j_value(struct mbx_jw *w, unsigned t, const unsigned char *v, size_t len)
{
	char s[48], *txt;

	switch (t) {
	case 0x0002: mbx_jw_int(w, (int16_t)rd16(v)); return;
	case 0x0003: mbx_jw_int(w, (int32_t)rd32(v)); return;
	case 0x0004: j_double(w, rd_float(v), 9); return;
	case 0x0005: case 0x0007: j_double(w, rd_double(v), 17); return;
	case 0x0006: j_currency(w, (int64_t)rd64(v)); return;
	case 0x000B: mbx_jw_bool(w, rd16(v) != 0); return;
	case 0x0014: mbx_jw_int(w, (long long)rd64(v)); return;
	case 0x000A:
		snprintf(s, sizeof s, "0x%08X", (unsigned)rd32(v));
		mbx_jw_str(w, s);
		return;
	case 0x0040: iso_time(rd64(v), s, sizeof s); mbx_jw_str(w, s); return;
	case 0x0048: guid_str(v, s, sizeof s); mbx_jw_str(w, s); return;
	}
	if ((txt = text_of(t, v, len, FX_VALUE_MAX)) != NULL) {
		mbx_jw_str(w, txt);
		free(txt);
	} else {
		j_hex(w, v, len);
	}
}

static void
j_mv(struct mbx_jw *w, const struct mbx_fx_prop *p, unsigned et)
{
	int fixed = fixed_size(et);
	const unsigned char *v = p->val;
	uint32_t i;
	size_t len = (size_t)fixed;

	mbx_jw_arr(w);
	for (i = 0; i < p->count && i < FX_MV_MAX; i++) {
		if (!fixed) {
			len = rd32(v);
			v += 4;
		}
		j_value(w, et, v, len);
		v += len;
	}
	mbx_jw_end(w);
}

/* "0x0037001F" with the canonical type (code-page 1200 strings as PtypString, 6.3), or
 * "{GUID}:0x8503" / "{GUID}:Keywords" for a named property. */
static void
j_tag(struct mbx_jw *w, const struct mbx_fx_prop *p, unsigned ct)
{
	char g[48], *name;
	struct mbx_buf b;

	mbx_jw_key(w, "tag");
	if (!p->guid) {
		snprintf(g, sizeof g, "0x%08X", (unsigned)((p->tag & 0xFFFF0000u) | ct));
		mbx_jw_str(w, g);
		return;
	}
	guid_str(p->guid, g, sizeof g);
	mbx_buf_init(&b, 0);
	if (p->kind == 0) {
		mbx_buf_printf(&b, "%s:0x%04X", g, (unsigned)p->lid);
	} else {
		name = text_of(0x001F, p->name, p->name_len, 0);
		mbx_buf_printf(&b, "%s:%s", g, name);
		free(name);
	}
	mbx_jw_strn(w, b.data, b.len);
	mbx_buf_free(&b);
}

static unsigned
canon_type(uint32_t tag)
{
	unsigned t = tag & 0xFFFF;

	if (tag == FX_IDSET_GIVEN)
		return 0x0102;
	if ((t & 0x9000) == 0x9000)
		return (t & 0x6FFF) == 1200 ? 0x101F : 0x101E;
	if (t & 0x8000)
		return (t & 0x7FFF) == 1200 ? 0x001F : 0x001E;
	return t;
}

static void
j_type(struct mbx_jw *w, unsigned ct)
{
	static const struct {
		uint16_t t;
		const char *name;
	} names[] = {
		{ 0x0002, "Integer16" }, { 0x0003, "Integer32" }, { 0x0004, "Floating32" },
		{ 0x0005, "Floating64" }, { 0x0006, "Currency" }, { 0x0007, "FloatingTime" },
		{ 0x000A, "ErrorCode" }, { 0x000B, "Boolean" }, { 0x000D, "Object" },
		{ 0x0014, "Integer64" }, { 0x001E, "String8" }, { 0x001F, "String" },
		{ 0x0040, "Time" }, { 0x0048, "Guid" }, { 0x00FB, "ServerId" },
		{ 0x0102, "Binary" },
	};
	char s[48];
	size_t i;

	snprintf(s, sizeof s, "0x%04X", ct);
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].t == (ct & 0x0FFF))
			snprintf(s, sizeof s, "Ptyp%s%s", ct & 0x1000 ? "Multiple" : "",
				 names[i].name);
	mbx_jw_kstr(w, "type", s);
}

static void
report_prop(struct mbx_jw *w, const struct mbx_fx_prop *p)
{
	unsigned t = p->tag & 0xFFFF, ct = canon_type(p->tag), et = elem_type(t);
	char s[16];

	mbx_jw_obj(w);
	j_tag(w, p, ct);
	if (!p->guid && meta_name(p->tag))
		mbx_jw_kstr(w, "name", meta_name(p->tag));
	j_type(w, ct);
	if (t & 0x8000)
		mbx_jw_kint(w, "codepage", et ? t & 0x6FFF : t & 0x7FFF);
	if (et)
		mbx_jw_kint(w, "count", p->count);
	else if (is_var(t) || p->tag == FX_IDSET_GIVEN)
		mbx_jw_kint(w, "bytes", (long long)p->len);
	mbx_jw_key(w, "value");
	if (p->tag == FX_FXDELPROP) {          /* its value is a property tag */
		snprintf(s, sizeof s, "0x%08X", (unsigned)rd32(p->val));
		mbx_jw_str(w, s);
	} else if (et) {
		j_mv(w, p, et);
	} else {
		j_value(w, p->tag == FX_IDSET_GIVEN ? 0x0102 : t, p->val, p->len);
	}
	mbx_jw_end(w);
}

/* Is p shown in a field of its object's report (so not again in properties[])?
 * Fallback properties count only when the preferred one is absent. */
static int
shown(const struct mbx_fx_obj *o, const struct mbx_fx_prop *p)
{
	static const uint16_t msg[] = { 0x001A, 0x0037, 0x0E1D, 0x1035, 0x0039, 0x0E06,
		0x0017, 0x0E07, 0x0C1A, 0x0C1E, 0x5D01, 0x0042, 0x0064, 0x5D02, 0 };
	static const uint16_t rcp[] = { 0x3000, 0x0C15, 0x3001, 0x3002, 0x39FE, 0 };
	static const uint16_t att[] = { 0x0E21, 0x3705, 0x3707, 0x370E, 0x3712, 0x0E20,
		0x3701, 0 };
	const uint16_t *l = o->kind == MBX_FX_RECIP ? rcp : o->kind == MBX_FX_ATTACH ? att : msg;
	uint16_t id = (uint16_t)(p->tag >> 16), alt = 0;

	if (p->guid)
		return 0;
	if (o->kind == MBX_FX_MESSAGE)
		alt = id == 0x0C1F ? 0x5D01 : id == 0x0065 ? 0x5D02 : 0;
	else
		alt = id == 0x3003 ? 0x39FE : id == 0x3704 ? 0x3707 : 0;
	if (alt)
		return !mbx_fx_get(o, alt) && mbx_fx_get(o, id) == p;
	for (; *l; l++)
		if (*l == id)
			return mbx_fx_get(o, id) == p;
	return 0;
}

static void
report_props(struct mbx_jw *w, const struct mbx_fx_obj *o)
{
	size_t i;

	mbx_jw_key(w, "properties");
	mbx_jw_arr(w);
	for (i = 0; i < o->nprops; i++)
		if (!shown(o, &o->props[i]))
			report_prop(w, &o->props[i]);
	mbx_jw_end(w);
}

/* sender / from (11.5): name, SMTP address (fallback the email address), type. */
static void
report_who(struct mbx_jw *w, const char *key, const struct mbx_fx_obj *o,
	   const uint16_t ids[4])
{
	const struct mbx_fx_prop *n = mbx_fx_get(o, ids[0]), *a = mbx_fx_get(o, ids[1]);

	if (!a)
		a = mbx_fx_get(o, ids[2]);
	mbx_jw_key(w, key);
	if (!n && !a) {
		mbx_jw_null(w);
		return;
	}
	mbx_jw_obj(w);
	j_text(w, "name", n, FX_FIELD_MAX);
	j_text(w, "address", a, FX_FIELD_MAX);
	j_text(w, "addressType", mbx_fx_get(o, ids[3]), FX_FIELD_MAX);
	mbx_jw_end(w);
}

static int
recip_type(const struct mbx_fx_obj *r)
{
	long long t = 0;

	return mbx_fx_int(mbx_fx_get(r, 0x0C15), &t) == 0 ? (int)(t & 0xFF) : 0;
}

/* displayTo/Cc/Bcc are computed from the recipients, never in exports (8.1). */
static void
report_display(struct mbx_jw *w, const struct mbx_fx_obj *o)
{
	static const char *const keys[] = { "displayTo", "displayCc", "displayBcc" };
	struct mbx_buf b;
	size_t i;
	int t;

	for (t = 1; t <= 3; t++) {
		mbx_buf_init(&b, FX_FIELD_MAX);
		for (i = 0; i < o->nrecips; i++) {
			char *n = recip_type(o->recips[i]) == t ?
				  mbx_fx_text(mbx_fx_get(o->recips[i], 0x3001), FX_FIELD_MAX) : NULL;
			if (n && (b.len == 0 || mbx_buf_puts(&b, "; ") == 0))
				mbx_buf_puts(&b, n);
			free(n);
		}
		mbx_jw_key(w, keys[t - 1]);
		mbx_jw_strn(w, b.data ? b.data : "", b.len);
		mbx_buf_free(&b);
	}
}

static void
report_recip(struct mbx_jw *w, const struct mbx_fx_obj *r)
{
	static const char *const types[] = { "unknown", "to", "cc", "bcc" };
	const struct mbx_fx_prop *a = mbx_fx_get(r, 0x39FE);
	int t = recip_type(r);

	mbx_jw_obj(w);
	j_int(w, "rowid", mbx_fx_get(r, 0x3000));
	mbx_jw_kstr(w, "type", types[t >= 1 && t <= 3 ? t : 0]);
	j_text(w, "displayName", mbx_fx_get(r, 0x3001), FX_FIELD_MAX);
	j_text(w, "address", a ? a : mbx_fx_get(r, 0x3003), FX_FIELD_MAX);
	j_text(w, "addressType", mbx_fx_get(r, 0x3002), FX_FIELD_MAX);
	report_props(w, r);
	mbx_jw_end(w);
}

static void report_message(struct mbx_jw *w, const struct mbx_fx_obj *o, int depth);

/* "inline": rendered in the body, i.e. it has a content id or attRenderedInBody (0x4)
 * in PidTagAttachFlags. */
static void
report_attach(struct mbx_jw *w, const struct mbx_fx_obj *a, int depth)
{
	const struct mbx_fx_prop *n = mbx_fx_get(a, 0x3707), *cid = mbx_fx_get(a, 0x3712);
	long long flags = 0;

	mbx_fx_int(mbx_fx_get(a, 0x3714), &flags);
	mbx_jw_obj(w);
	j_int(w, "number", mbx_fx_get(a, 0x0E21));
	j_int(w, "method", mbx_fx_get(a, 0x3705));
	j_text(w, "name", n ? n : mbx_fx_get(a, 0x3704), FX_FIELD_MAX);
	j_text(w, "mimeTag", mbx_fx_get(a, 0x370E), FX_FIELD_MAX);
	j_text(w, "contentId", cid, FX_FIELD_MAX);
	mbx_jw_key(w, "inline");
	mbx_jw_bool(w, cid != NULL || (flags & 4));
	j_int(w, "attachSize", mbx_fx_get(a, 0x0E20));
	j_len(w, "dataBytes", mbx_fx_get(a, 0x3701));
	mbx_jw_key(w, "embedded");
	if (!a->embedded)
		mbx_jw_null(w);
	else if (depth >= FX_REPORT_DEPTH)
		mbx_jw_raw(w, "{\"omitted\":\"nested too deep to show\"}");
	else
		report_message(w, a->embedded, depth + 1);
	report_props(w, a);
	mbx_jw_end(w);
}

/* The message fields of 11.5, recipients and attachments (properties[] comes after). */
static void
report_head(struct mbx_jw *w, const struct mbx_fx_obj *o, int depth)
{
	static const uint16_t sender[4] = { 0x0C1A, 0x5D01, 0x0C1F, 0x0C1E };
	static const uint16_t from[4] = { 0x0042, 0x5D02, 0x0065, 0x0064 };
	size_t i;

	j_text(w, "messageClass", mbx_fx_get(o, 0x001A), FX_FIELD_MAX);
	j_text(w, "subject", mbx_fx_get(o, 0x0037), FX_FIELD_MAX);
	j_text(w, "normalizedSubject", mbx_fx_get(o, 0x0E1D), FX_FIELD_MAX);
	j_text(w, "internetMessageId", mbx_fx_get(o, 0x1035), FX_FIELD_MAX);
	j_time(w, "submitTime", mbx_fx_get(o, 0x0039));
	j_time(w, "deliveryTime", mbx_fx_get(o, 0x0E06));
	j_int(w, "importance", mbx_fx_get(o, 0x0017));
	j_int(w, "messageFlags", mbx_fx_get(o, 0x0E07));
	report_who(w, "sender", o, sender);
	report_who(w, "from", o, from);
	report_display(w, o);
	mbx_jw_key(w, "recipients");
	mbx_jw_arr(w);
	for (i = 0; i < o->nrecips; i++)
		report_recip(w, o->recips[i]);
	mbx_jw_end(w);
	mbx_jw_key(w, "attachments");
	mbx_jw_arr(w);
	for (i = 0; i < o->nattachs; i++)
		report_attach(w, o->attachs[i], depth);
	mbx_jw_end(w);
}

static void
report_message(struct mbx_jw *w, const struct mbx_fx_obj *o, int depth)
{
	mbx_jw_obj(w);
	report_head(w, o, depth);
	report_props(w, o);
	mbx_jw_end(w);
}

/* 3.1: w0 = major/minor bytes when the top bit of w1 is set. */
static void
report_framing(struct mbx_jw *w, const struct mbx_fx_item *it)
{
	unsigned w0 = rd16(it->version), w1 = rd16(it->version + 2), w2 = rd16(it->version + 4);
	char v[40];
	size_t i;

	mbx_jw_key(w, "framing");
	mbx_jw_obj(w);
	mbx_jw_key(w, "framed");
	mbx_jw_bool(w, it->framed);
	if (w1 & 0x8000)
		snprintf(v, sizeof v, "%u.%u.%u.%u", w0 >> 8, w0 & 0xFF, w1 & 0x7FFF, w2);
	else
		snprintf(v, sizeof v, "%u.0.%u.%u", w0, w1, w2);
	mbx_jw_kstr(w, "serverVersion", it->has_version ? v : NULL);
	mbx_jw_key(w, "transferBuffers");
	mbx_jw_arr(w);
	for (i = 0; i < it->ntbufs; i++)
		mbx_jw_int(w, (long long)it->tbufs[i]);
	mbx_jw_end(w);
	mbx_jw_kint(w, "blobBytes", (long long)it->blob_bytes);
	mbx_jw_kint(w, "streamBytes", (long long)it->stream.len);
	mbx_jw_end(w);
}

static void
report_sizes(struct mbx_jw *w, const struct mbx_fx_item *it)
{
	const struct mbx_fx_obj *o = &it->root;
	long long data = 0;
	size_t i;

	for (i = 0; i < o->nattachs; i++) {
		const struct mbx_fx_prop *d = mbx_fx_get(o->attachs[i], 0x3701);
		data += d && is_var(d->tag & 0xFFFF) ? (long long)d->len : 0;
	}
	mbx_jw_key(w, "sizes");
	mbx_jw_obj(w);
	mbx_jw_kint(w, "blobBytes", (long long)it->blob_bytes);
	mbx_jw_kint(w, "streamBytes", (long long)it->stream.len);
	j_int(w, "messageSizeProperty", mbx_fx_get(o, 0x0E08));
	j_len(w, "bodyTextBytes", mbx_fx_get(o, 0x1000));
	j_len(w, "bodyHtmlBytes", mbx_fx_get(o, 0x1013));
	j_len(w, "rtfBytes", mbx_fx_get(o, 0x1009));
	mbx_jw_kint(w, "attachmentDataBytes", data);
	mbx_jw_end(w);
}

static void
report_tail(struct mbx_jw *w, const struct mbx_fx_item *it)
{
	char more[64];
	size_t i;

	mbx_jw_kint(w, "propertyCount", (long long)it->nprops);
	mbx_jw_kint(w, "namedPropertyCount", (long long)it->nnamed);
	mbx_jw_key(w, "warnings");
	mbx_jw_arr(w);
	for (i = 0; i < it->nwarnings; i++)
		mbx_jw_str(w, it->warnings[i]);
	if (it->nwarn_total > it->nwarnings) {
		snprintf(more, sizeof more, "%lu more warnings",
			 it->nwarn_total - (unsigned long)it->nwarnings);
		mbx_jw_str(w, more);
	}
	mbx_jw_end(w);
	mbx_jw_key(w, "truncated");
	mbx_jw_bool(w, it->status == MBX_FX_TRUNCATED);
	mbx_jw_kstr(w, "error", it->status ? it->error : NULL);
}

int
mbx_fx_report(struct mbx_jw *w, const struct mbx_fx_item *it)
{
	mbx_jw_obj(w);
	report_framing(w, it);
	report_head(w, &it->root, 0);
	report_sizes(w, it);
	report_props(w, &it->root);
	report_tail(w, it);
	mbx_jw_end(w);
	return w->err ? -1 : 0;
}
