/* report.c: the JSON report of a parsed item (docs/fasttransfer.md 11.5). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "fx-int.h"

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
j_text(struct mbx_jw *w, const char *key, const struct fx_prop *p, size_t max)
{
	char *t = fx_text(p, max);

	mbx_jw_key(w, key);
	mbx_jw_str(w, t);
	free(t);
}

static void
j_int(struct mbx_jw *w, const char *key, const struct fx_prop *p)
{
	long long v;

	mbx_jw_key(w, key);
	if (fx_int(p, &v) == 0 && (p->tag & 0xFFFF) != 0x0040)
		mbx_jw_int(w, v);
	else
		mbx_jw_null(w);
}

static void
j_time(struct mbx_jw *w, const char *key, const struct fx_prop *p)
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
j_len(struct mbx_jw *w, const char *key, const struct fx_prop *p)
{
	mbx_jw_key(w, key);
	if (p && (fx_is_var(p->tag & 0xFFFF) || p->tag == FX_IDSET_GIVEN))
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
	if ((txt = fx_text_of(t, v, len, FX_VALUE_MAX)) != NULL) {
		mbx_jw_str(w, txt);
		free(txt);
	} else {
		j_hex(w, v, len);
	}
}

static void
j_mv(struct mbx_jw *w, const struct fx_prop *p, unsigned et)
{
	int fixed = fx_fixed_size(et);
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
j_tag(struct mbx_jw *w, const struct fx_prop *p, unsigned ct)
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
		name = fx_text_of(0x001F, p->name, p->name_len, 0);
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
report_prop(struct mbx_jw *w, const struct fx_prop *p)
{
	unsigned t = p->tag & 0xFFFF, ct = canon_type(p->tag), et = fx_elem_type(t);
	char s[16];

	mbx_jw_obj(w);
	j_tag(w, p, ct);
	if (!p->guid && fx_meta_name(p->tag))
		mbx_jw_kstr(w, "name", fx_meta_name(p->tag));
	j_type(w, ct);
	if (t & 0x8000)
		mbx_jw_kint(w, "codepage", et ? t & 0x6FFF : t & 0x7FFF);
	if (et)
		mbx_jw_kint(w, "count", p->count);
	else if (fx_is_var(t) || p->tag == FX_IDSET_GIVEN)
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
shown(const struct fx_obj *o, const struct fx_prop *p)
{
	static const uint16_t msg[] = { 0x001A, 0x0037, 0x0E1D, 0x1035, 0x0039, 0x0E06,
		0x0017, 0x0E07, 0x0C1A, 0x0C1E, 0x5D01, 0x0042, 0x0064, 0x5D02, 0 };
	static const uint16_t rcp[] = { 0x3000, 0x0C15, 0x3001, 0x3002, 0x39FE, 0 };
	static const uint16_t att[] = { 0x0E21, 0x3705, 0x3707, 0x370E, 0x3712, 0x0E20,
		0x3701, 0 };
	const uint16_t *l = o->kind == FX_RECIP ? rcp : o->kind == FX_ATTACH ? att : msg;
	uint16_t id = (uint16_t)(p->tag >> 16), alt = 0;

	if (p->guid)
		return 0;
	if (o->kind == FX_MESSAGE)
		alt = id == 0x0C1F ? 0x5D01 : id == 0x0065 ? 0x5D02 : 0;
	else
		alt = id == 0x3003 ? 0x39FE : id == 0x3704 ? 0x3707 : 0;
	if (alt)
		return !fx_get(o, alt) && fx_get(o, id) == p;
	for (; *l; l++)
		if (*l == id)
			return fx_get(o, id) == p;
	return 0;
}

static void
report_props(struct mbx_jw *w, const struct fx_obj *o)
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
report_who(struct mbx_jw *w, const char *key, const struct fx_obj *o,
	   const uint16_t ids[4])
{
	const struct fx_prop *n = fx_get(o, ids[0]), *a = fx_get(o, ids[1]);

	if (!a)
		a = fx_get(o, ids[2]);
	mbx_jw_key(w, key);
	if (!n && !a) {
		mbx_jw_null(w);
		return;
	}
	mbx_jw_obj(w);
	j_text(w, "name", n, FX_FIELD_MAX);
	j_text(w, "address", a, FX_FIELD_MAX);
	j_text(w, "addressType", fx_get(o, ids[3]), FX_FIELD_MAX);
	mbx_jw_end(w);
}

static int
recip_type(const struct fx_obj *r)
{
	long long t = 0;

	return fx_int(fx_get(r, 0x0C15), &t) == 0 ? (int)(t & 0xFF) : 0;
}

/* displayTo/Cc/Bcc are computed from the recipients, never in exports (8.1). */
static void
report_display(struct mbx_jw *w, const struct fx_obj *o)
{
	static const char *const keys[] = { "displayTo", "displayCc", "displayBcc" };
	struct mbx_buf b;
	size_t i;
	int t;

	for (t = 1; t <= 3; t++) {
		mbx_buf_init(&b, FX_FIELD_MAX);
		for (i = 0; i < o->nrecips; i++) {
			char *n = recip_type(o->recips[i]) == t ?
				  fx_text(fx_get(o->recips[i], 0x3001), FX_FIELD_MAX) : NULL;
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
report_recip(struct mbx_jw *w, const struct fx_obj *r)
{
	static const char *const types[] = { "unknown", "to", "cc", "bcc" };
	const struct fx_prop *a = fx_get(r, 0x39FE);
	int t = recip_type(r);

	mbx_jw_obj(w);
	j_int(w, "rowid", fx_get(r, 0x3000));
	mbx_jw_kstr(w, "type", types[t >= 1 && t <= 3 ? t : 0]);
	j_text(w, "displayName", fx_get(r, 0x3001), FX_FIELD_MAX);
	j_text(w, "address", a ? a : fx_get(r, 0x3003), FX_FIELD_MAX);
	j_text(w, "addressType", fx_get(r, 0x3002), FX_FIELD_MAX);
	report_props(w, r);
	mbx_jw_end(w);
}

static void report_message(struct mbx_jw *w, const struct fx_obj *o, int depth);

/* "inline": rendered in the body, i.e. it has a content id or attRenderedInBody (0x4)
 * in PidTagAttachFlags. */
static void
report_attach(struct mbx_jw *w, const struct fx_obj *a, int depth)
{
	const struct fx_prop *n = fx_get(a, 0x3707), *cid = fx_get(a, 0x3712);
	long long flags = 0;

	fx_int(fx_get(a, 0x3714), &flags);
	mbx_jw_obj(w);
	j_int(w, "number", fx_get(a, 0x0E21));
	j_int(w, "method", fx_get(a, 0x3705));
	j_text(w, "name", n ? n : fx_get(a, 0x3704), FX_FIELD_MAX);
	j_text(w, "mimeTag", fx_get(a, 0x370E), FX_FIELD_MAX);
	j_text(w, "contentId", cid, FX_FIELD_MAX);
	mbx_jw_key(w, "inline");
	mbx_jw_bool(w, cid != NULL || (flags & 4));
	j_int(w, "attachSize", fx_get(a, 0x0E20));
	j_len(w, "dataBytes", fx_get(a, 0x3701));
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
report_head(struct mbx_jw *w, const struct fx_obj *o, int depth)
{
	static const uint16_t sender[4] = { 0x0C1A, 0x5D01, 0x0C1F, 0x0C1E };
	static const uint16_t from[4] = { 0x0042, 0x5D02, 0x0065, 0x0064 };
	size_t i;

	j_text(w, "messageClass", fx_get(o, 0x001A), FX_FIELD_MAX);
	j_text(w, "subject", fx_get(o, 0x0037), FX_FIELD_MAX);
	j_text(w, "normalizedSubject", fx_get(o, 0x0E1D), FX_FIELD_MAX);
	j_text(w, "internetMessageId", fx_get(o, 0x1035), FX_FIELD_MAX);
	j_time(w, "submitTime", fx_get(o, 0x0039));
	j_time(w, "deliveryTime", fx_get(o, 0x0E06));
	j_int(w, "importance", fx_get(o, 0x0017));
	j_int(w, "messageFlags", fx_get(o, 0x0E07));
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
report_message(struct mbx_jw *w, const struct fx_obj *o, int depth)
{
	mbx_jw_obj(w);
	report_head(w, o, depth);
	report_props(w, o);
	mbx_jw_end(w);
}

/* 3.1: w0 = major/minor bytes when the top bit of w1 is set. */
static void
report_framing(struct mbx_jw *w, const struct fx_item *it)
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
report_sizes(struct mbx_jw *w, const struct fx_item *it)
{
	const struct fx_obj *o = &it->root;
	long long data = 0;
	size_t i;

	for (i = 0; i < o->nattachs; i++) {
		const struct fx_prop *d = fx_get(o->attachs[i], 0x3701);
		data += d && fx_is_var(d->tag & 0xFFFF) ? (long long)d->len : 0;
	}
	mbx_jw_key(w, "sizes");
	mbx_jw_obj(w);
	mbx_jw_kint(w, "blobBytes", (long long)it->blob_bytes);
	mbx_jw_kint(w, "streamBytes", (long long)it->stream.len);
	j_int(w, "messageSizeProperty", fx_get(o, 0x0E08));
	j_len(w, "bodyTextBytes", fx_get(o, 0x1000));
	j_len(w, "bodyHtmlBytes", fx_get(o, 0x1013));
	j_len(w, "rtfBytes", fx_get(o, 0x1009));
	mbx_jw_kint(w, "attachmentDataBytes", data);
	mbx_jw_end(w);
}

static void
report_tail(struct mbx_jw *w, const struct fx_item *it)
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
	mbx_jw_bool(w, it->status == FX_TRUNCATED);
	mbx_jw_kstr(w, "error", it->status ? it->error : NULL);
}

int
fx_report(struct mbx_jw *w, const struct fx_item *it)
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
