/* charset.c: Windows code pages <-> MIME charset names, and text in any of them decoded
 * to UTF-8. The table is the code pages Outlook and Exchange write in
 * PidTagInternetCodepage (MS-OXCMSG 2.2.1.58.6) with their IANA names (RFC 2978
 * registry), both ways. Decoding: UTF-8, UTF-16, US-ASCII, ISO-8859-1 and windows-1252
 * here; everything else through glibc's iconv (part of libc: no new dependency), one
 * converter per code page kept open for the run. */
#include <errno.h>
#include <iconv.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mime-int.h"

struct cpname {
	unsigned cp;
	const char *name;          /* preferred MIME name (written in charset=) */
	const char *conv;          /* glibc iconv name */
	const char *alias;         /* other names read as this code page, '|'-separated */
};

static const struct cpname cps[] = {
	{ 65001, "utf-8", "UTF-8", "utf8|unicode-1-1-utf-8|x-unicode20utf8" },
	{ 20127, "us-ascii", "ASCII", "ascii|ansi_x3.4-1968|iso646-us|us|csascii|cp367" },
	{ 28591, "iso-8859-1", "ISO-8859-1", "latin1|l1|iso8859-1|iso_8859-1|cp819|ibm819" },
	{ 1252, "windows-1252", "CP1252", "cp1252|x-cp1252|ms-ansi" },
	{ 1200, "utf-16le", "UTF-16LE", "utf-16|unicode|ucs-2|ucs-2le" },
	{ 1201, "utf-16be", "UTF-16BE", "unicodefffe|ucs-2be" },
	{ 12000, "utf-32le", "UTF-32LE", "utf-32" },
	{ 12001, "utf-32be", "UTF-32BE", "" },
	{ 65000, "utf-7", "UTF-7", "unicode-1-1-utf-7|csunicode11utf7" },
	{ 1250, "windows-1250", "CP1250", "cp1250|x-cp1250" },
	{ 1251, "windows-1251", "CP1251", "cp1251|x-cp1251" },
	{ 1253, "windows-1253", "CP1253", "cp1253" },
	{ 1254, "windows-1254", "CP1254", "cp1254" },
	{ 1255, "windows-1255", "CP1255", "cp1255" },
	{ 1256, "windows-1256", "CP1256", "cp1256" },
	{ 1257, "windows-1257", "CP1257", "cp1257" },
	{ 1258, "windows-1258", "CP1258", "cp1258" },
	{ 874, "windows-874", "CP874", "tis-620|tis620|iso-8859-11|dos-874|cp874" },
	{ 932, "shift_jis", "CP932", "shift-jis|sjis|x-sjis|ms_kanji|csshiftjis|windows-31j|cp932" },
	{ 936, "gb2312", "CP936", "gbk|cp936|x-gbk|csgb2312|chinese|gb_2312-80|ms936" },
	{ 949, "ks_c_5601-1987", "CP949", "ks_c_5601|ks_c_5601-1989|ksc5601|korean|csksc56011987|cp949|uhc" },
	{ 950, "big5", "CP950", "big-5|csbig5|cn-big5|x-x-big5|cp950" },
	{ 951, "big5-hkscs", "BIG5-HKSCS", "big5hkscs" },
	{ 1361, "johab", "JOHAB", "" },
	{ 20866, "koi8-r", "KOI8-R", "koi8|cskoi8r|koi|koi8r" },
	{ 21866, "koi8-u", "KOI8-U", "koi8u|koi8-ru" },
	{ 28592, "iso-8859-2", "ISO-8859-2", "latin2|l2|iso8859-2|iso_8859-2" },
	{ 28593, "iso-8859-3", "ISO-8859-3", "latin3|l3|iso8859-3|iso_8859-3" },
	{ 28594, "iso-8859-4", "ISO-8859-4", "latin4|l4|iso8859-4|iso_8859-4" },
	{ 28595, "iso-8859-5", "ISO-8859-5", "cyrillic|iso8859-5|iso_8859-5" },
	{ 28596, "iso-8859-6", "ISO-8859-6", "arabic|iso8859-6|iso_8859-6" },
	{ 28597, "iso-8859-7", "ISO-8859-7", "greek|greek8|iso8859-7|iso_8859-7" },
	{ 28598, "iso-8859-8", "ISO-8859-8", "hebrew|iso8859-8|iso_8859-8|iso-8859-8-e|visual" },
	{ 38598, "iso-8859-8-i", "ISO-8859-8", "logical" },
	{ 28599, "iso-8859-9", "ISO-8859-9", "latin5|l5|iso8859-9|iso_8859-9" },
	{ 28603, "iso-8859-13", "ISO-8859-13", "iso8859-13" },
	{ 28605, "iso-8859-15", "ISO-8859-15", "latin-9|latin9|iso8859-15|iso_8859-15" },
	{ 50220, "iso-2022-jp", "ISO-2022-JP-3", "csiso2022jp|iso2022jp" },
	{ 50221, "csISO2022JP", "ISO-2022-JP-3", "" },
	{ 50222, "iso-2022-jp", "ISO-2022-JP-3", "" },
	{ 50225, "iso-2022-kr", "ISO-2022-KR", "csiso2022kr" },
	{ 51932, "euc-jp", "EUC-JP-MS", "eucjp|x-euc-jp|cseucpkdfmtjapanese|x-euc" },
	{ 20932, "euc-jp", "EUC-JP", "" },
	{ 51936, "euc-cn", "EUC-CN", "euccn|x-euc-cn" },
	{ 51949, "euc-kr", "EUC-KR", "euckr|cseuckr" },
	{ 52936, "hz-gb-2312", "HZ", "hz" },
	{ 54936, "gb18030", "GB18030", "" },
	{ 10000, "macintosh", "MACINTOSH", "mac|x-mac-roman|csmacintosh" },
	{ 437, "ibm437", "CP437", "cp437|437|cspc8codepage437" },
	{ 850, "ibm850", "CP850", "cp850|850" },
	{ 852, "ibm852", "CP852", "cp852|852" },
	{ 855, "ibm855", "CP855", "cp855" },
	{ 857, "ibm857", "CP857", "cp857" },
	{ 860, "ibm860", "CP860", "cp860" },
	{ 861, "ibm861", "CP861", "cp861" },
	{ 862, "dos-862", "CP862", "cp862|ibm862" },
	{ 863, "ibm863", "CP863", "cp863" },
	{ 864, "ibm864", "CP864", "cp864" },
	{ 865, "ibm865", "CP865", "cp865" },
	{ 866, "cp866", "CP866", "ibm866|866" },
	{ 869, "ibm869", "CP869", "cp869" },
};
#define NCPS (sizeof cps / sizeof cps[0])

static const struct cpname *
cp_entry(unsigned cp)
{
	size_t i;

	for (i = 0; i < NCPS; i++)
		if (cps[i].cp == cp)
			return &cps[i];
	return NULL;
}

const char *
mime_cp_name(unsigned cp)
{
	const struct cpname *e = cp_entry(cp);

	return e ? e->name : NULL;
}

/* Whether name (ASCII case-insensitively) is one of the '|'-separated list. */
static int
in_list(const char *name, const char *list)
{
	size_t n = strlen(name), k;

	while (*list) {
		k = strcspn(list, "|");
		if (k == n && strncasecmp(name, list, n) == 0)
			return 1;
		list += k + (list[k] == '|');
	}
	return 0;
}

/* "windows-1252" and "cp1252" style names of any code page, and "x-" prefixes. */
static unsigned
numeric_name(const char *name)
{
	long v;

	if (strncasecmp(name, "windows-", 8) == 0 && mbx_parse_long(name + 8, 1, 65535, &v) == 0)
		return cp_entry((unsigned)v) ? (unsigned)v : 0;
	return 0;
}

unsigned
mime_cp_from_name(const char *name)
{
	size_t i;

	if (!name || !*name)
		return 0;
	for (i = 0; i < NCPS; i++)
		if (strcasecmp(name, cps[i].name) == 0)
			return cps[i].cp;
	for (i = 0; i < NCPS; i++)
		if (in_list(name, cps[i].alias))
			return cps[i].cp;
	if (strncasecmp(name, "x-", 2) == 0 && strlen(name) > 2)
		return mime_cp_from_name(name + 2);
	return numeric_name(name);
}

/* RTF \fcharsetN (the Windows font charsets) -> code page. */
unsigned
mime_fcharset_cp(int fcharset)
{
	static const struct { int cs; unsigned cp; } map[] = {
		{ 0, 1252 }, { 1, 0 }, { 2, 0 }, { 77, 10000 }, { 128, 932 }, { 129, 949 },
		{ 130, 1361 }, { 134, 936 }, { 136, 950 }, { 161, 1253 }, { 162, 1254 },
		{ 163, 1258 }, { 177, 1255 }, { 178, 1256 }, { 186, 1257 }, { 204, 1251 },
		{ 222, 874 }, { 238, 1250 }, { 254, 437 }, { 255, 850 },
	};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (map[i].cs == fcharset)
			return map[i].cp;
	return 0;
}

/* ------------------------------------------------------------------ UTF-8 */

/* The ASCII prefix, 8 bytes at a time. */
static size_t
ascii_prefix(const unsigned char *p, size_t n)
{
	size_t i = 0;
	uint64_t w;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		if (w & 0x8080808080808080ULL)
			break;
	}
	while (i < n && p[i] < 0x80)
		i++;
	return i;
}

size_t
mime_utf8_valid_len(const void *vp, size_t n)
{
	const unsigned char *p = vp;
	size_t i = 0, k;

	while (i < n) {
		i += ascii_prefix(p + i, n - i);
		if (i >= n || (k = mbx_utf8_seq(p + i, n - i)) == 0)
			break;
		i += k;
	}
	return i;
}


/* --------------------------------------------------------------- decoding */

/* A decoding in progress: out's cap makes it stop (full), invalid input counts. */
struct dec {
	struct mbx_buf *out;
	size_t bad;
	int full;
};

static void
d_put(struct dec *d, const void *p, size_t n)
{
	if (!d->full && mbx_buf_append(d->out, p, n) < 0)
		d->full = 1;
}

static const char repl_cp[] = "\xEF\xBF\xBD";     /* U+FFFD */

static void
d_bad(struct dec *d)
{
	d_put(d, repl_cp, 3);
	d->bad++;
}

size_t
mime_utf8_enc(uint32_t c, unsigned char *o)
{
	if (c > 0x10FFFF || (c >= 0xD800 && c < 0xE000))
		c = 0xFFFD;
	if (c < 0x80) {
		o[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (unsigned char)(0xC0 | c >> 6), o[1] = (unsigned char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (unsigned char)(0xE0 | c >> 12), o[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
		o[2] = (unsigned char)(0x80 | (c & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | c >> 18), o[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
	o[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F)), o[3] = (unsigned char)(0x80 | (c & 0x3F));
	return 4;
}

static void
d_cp(struct dec *d, uint32_t c)
{
	unsigned char u[4];

	d_put(d, u, mime_utf8_enc(c, u));
}

static void
decode_utf8(struct dec *d, const unsigned char *p, size_t n)
{
	size_t i = 0, k;

	while (i < n && !d->full) {
		k = mime_utf8_valid_len(p + i, n - i);
		d_put(d, p + i, k);
		if ((i += k) < n) {
			d_bad(d);
			i++;
		}
	}
}

/* windows-1252 0x80..0x9F (the five unassigned bytes are invalid). */
static const uint16_t w1252[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178 };

/* The single-byte pages done here: every byte is one character or invalid. */
static void
decode_8bit(struct dec *d, unsigned cp, const unsigned char *p, size_t n)
{
	size_t i = 0, k;
	uint32_t c;

	while (i < n && !d->full) {
		k = ascii_prefix(p + i, n - i);
		d_put(d, p + i, k);
		if ((i += k) >= n)
			break;
		c = p[i++];
		if (cp == 1252 && c < 0xA0)
			c = w1252[c - 0x80];
		else if (cp == 20127)
			c = 0;
		if (c)
			d_cp(d, c);
		else
			d_bad(d);
	}
}

static uint32_t
rd16x(const unsigned char *p, int be)
{
	return be ? (uint32_t)(p[0] << 8 | p[1]) : (uint32_t)(p[0] | p[1] << 8);
}

/* One UTF-16 unit (or a pair) at p as UTF-8 into o (room for 4): bytes written; *used
 * the input bytes taken; *bad set for an unpaired surrogate. */
static size_t
utf16_char(const unsigned char *p, size_t n, int be, unsigned char *o, size_t *used, int *bad)
{
	uint32_t c = rd16x(p, be), e;

	*used = 2;
	*bad = 0;
	if (c >= 0xD800 && c < 0xDC00 && n >= 4 && (e = rd16x(p + 2, be)) >= 0xDC00 && e < 0xE000) {
		c = 0x10000 + ((c - 0xD800) << 10) + (e - 0xDC00);
		*used = 4;
	} else if (c >= 0xD800 && c < 0xE000) {
		c = 0xFFFD;
		*bad = 1;
	}
	return mime_utf8_enc(c, o);
}

#ifdef __SSE2__
/* The leading ASCII of UTF-16LE, sixteen units a step (SSE2 is in every x86-64): the
 * units are checked to be below 0x80 and packed to bytes. Returns the bytes consumed. */
static size_t
utf16_ascii_sse2(const unsigned char *p, size_t n, unsigned char **op)
{
	const __m128i high = _mm_set1_epi16((short)0xFF80), zero = _mm_setzero_si128();
	unsigned char *o = *op;
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
		__m128i t = _mm_and_si128(_mm_or_si128(a, b), high);
		if (_mm_movemask_epi8(_mm_cmpeq_epi16(t, zero)) != 0xFFFF)
			break;
		_mm_storeu_si128((__m128i *)(void *)o, _mm_packus_epi16(a, b));
		o += 16;
	}
	*op = o;
	return i;
}
#endif

/* UTF-16 with surrogate pairs; an unpaired surrogate or an odd last byte is invalid.
 * The room for the worst case (3 bytes a unit) is made once and written in place:
 * bodies are mostly this (every string of an export is UTF-16). */
static void
decode_utf16(struct dec *d, const unsigned char *p, size_t n, int be)
{
	struct mbx_buf *out = d->out;
	unsigned char *o;
	size_t i = 0, used;
	int bad;

	if (mbx_buf_reserve(out, n / 2 * 3 + 8) < 0) {
		d->full = 1;
		return;
	}
	o = (unsigned char *)out->data + out->len;
#ifdef __SSE2__
	if (!be)
		i = utf16_ascii_sse2(p, n, &o);
#endif
	while (i + 1 < n) {
		if (!be && i + 8 <= n) {              /* four ASCII units at a time */
			uint64_t w;
			memcpy(&w, p + i, 8);
			if (!(w & 0xFF80FF80FF80FF80ULL)) {
				o[0] = (unsigned char)w, o[1] = (unsigned char)(w >> 16);
				o[2] = (unsigned char)(w >> 32), o[3] = (unsigned char)(w >> 48);
				o += 4;
				i += 8;
				continue;
			}
		}
		if (p[i + be] < 0x80 && p[i + 1 - be] == 0) {      /* ASCII, the common case */
			*o++ = p[i + be];
			i += 2;
			continue;
		}
		o += utf16_char(p + i, n - i, be, o, &used, &bad);
		d->bad += (size_t)bad;
		i += used;
	}
	out->len = (size_t)(o - (unsigned char *)out->data);
	out->data[out->len] = '\0';
	if (n % 2)
		d_bad(d);
}

/* One converter per code page of the table, opened when first needed and kept for the
 * run (iconv_open loads a module each time). */
static iconv_t
converter(const struct cpname *e)
{
	static iconv_t cd[NCPS];
	static unsigned char tried[NCPS];
	size_t i = (size_t)(e - cps);

	if (!tried[i]) {
		tried[i] = 1;
		cd[i] = iconv_open("UTF-8", e->conv);
	}
	if (cd[i] != (iconv_t)-1)
		iconv(cd[i], NULL, NULL, NULL, NULL);     /* the initial shift state */
	return cd[i];
}

/* iconv into out; an invalid or incomplete sequence is U+FFFD and one byte skipped. */
static void
decode_iconv(struct dec *d, iconv_t cd, const unsigned char *p, size_t n)
{
	struct mbx_buf *out = d->out;
	char *in = (char *)(uintptr_t)p, *o;
	size_t left = n, room, r;

	while (!d->full) {
		if (mbx_buf_reserve(out, left * 4 + 16) < 0) {
			d->full = 1;
			break;
		}
		o = out->data + out->len;
		room = out->cap - out->len - 1;
		r = iconv(cd, left ? &in : NULL, &left, &o, &room);
		out->len = (size_t)(o - out->data);
		out->data[out->len] = '\0';
		if (left == 0 && r != (size_t)-1)
			break;
		if (r == (size_t)-1 && errno == E2BIG)
			continue;
		if (left == 0)
			break;
		/* what the converter holds (CP1255, CP1258 wait for combining marks) comes
		 * before the replacement */
		room = out->cap - out->len - 1;
		o = out->data + out->len;
		iconv(cd, NULL, NULL, &o, &room);
		out->len = (size_t)(o - out->data);
		out->data[out->len] = '\0';
		d_bad(d);
		in++;
		left--;
	}
}

/* Code pages decoded without iconv. */
static int
builtin(unsigned cp)
{
	return cp == 65001 || cp == 20127 || cp == 28591 || cp == 1252 || cp == 1200 ||
	       cp == 1201;
}

int
mime_cp_known(unsigned cp)
{
	const struct cpname *e = cp_entry(cp);

	return e && (builtin(cp) || converter(e) != (iconv_t)-1);
}

int
mime_decode_cp(struct mbx_buf *out, unsigned cp, const void *in, size_t n, size_t *bad,
	       char *err, size_t errlen)
{
	const struct cpname *e = cp_entry(cp);
	struct dec d = { out, 0, 0 };
	iconv_t cd = (iconv_t)-1;

	if (bad)
		*bad = 0;
	if (!e || (!builtin(cp) && (cd = converter(e)) == (iconv_t)-1)) {
		snprintf(err, errlen, "unknown code page %u", cp);
		return -1;
	}
	if (cp == 65001)
		decode_utf8(&d, in, n);
	else if (cp == 1200 || cp == 1201)
		decode_utf16(&d, in, n, cp == 1201);
	else if (builtin(cp))
		decode_8bit(&d, cp, in, n);
	else
		decode_iconv(&d, cd, in, n);
	if (bad)
		*bad = d.bad;
	if (d.full) {
		snprintf(err, errlen, "decoded text larger than %zu bytes", out->max);
		return -1;
	}
	return 0;
}

int
mime_decode_charset(struct mbx_buf *out, const char *charset, const void *in, size_t n,
		    size_t *bad, char *err, size_t errlen)
{
	unsigned cp = mime_cp_from_name(charset);

	if (!cp) {
		snprintf(err, errlen, "unknown charset '%s'", charset ? charset : "");
		return -1;
	}
	return mime_decode_cp(out, cp, in, n, bad, err, errlen);
}

size_t
mime_utf8_repair(struct mbx_buf *out, const void *p, size_t n)
{
	struct dec d = { out, 0, 0 };

	decode_utf8(&d, p, n);
	return d.bad;
}
