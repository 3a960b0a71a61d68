/* base64.c: base64 both ways (RFC 4648 sections 4 and 5).
 * Every exported item crosses the decoder once (graph-api.md 3.13 sends it as base64
 * inside JSON), so decoding has a vector path for machines with AVX2: 32 characters per
 * step, after W. Mula and D. Lemire, "Faster Base64 Encoding and Decoding Using AVX2
 * Instructions", ACM TWEB 12(3), 2018. The scalar path handles the rest: the URL-safe
 * alphabet, padding, a run split across calls, and every error. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "base.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

static const char b64std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
mbx_b64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* Encoding 12 bits at a time: two characters per table entry, one table per alphabet.
 * The tables (and the decoding table below) are built once, whatever the thread. */
static char pairs_std[4096][2], pairs_url[4096][2];
static unsigned char b64_table[256];
static int use_avx2;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void
tables_init(void)
{
	const char *off = getenv("MBX_NO_AVX2");   /* tests run both decoding paths */
	int i;

	for (i = 0; i < 4096; i++) {
		pairs_std[i][0] = b64std[i >> 6];
		pairs_std[i][1] = b64std[i & 63];
		pairs_url[i][0] = b64url[i >> 6];
		pairs_url[i][1] = b64url[i & 63];
	}
	memset(b64_table, 0xff, sizeof b64_table);
	for (i = 0; i < 64; i++) {
		b64_table[(unsigned char)b64std[i]] = (unsigned char)i;
		b64_table[(unsigned char)b64url[i]] = (unsigned char)i;
	}
#ifdef HAVE_AVX2_PATH
	use_avx2 = __builtin_cpu_supports("avx2") && !(off && *off);
#else
	(void)off;
#endif
}

static int
b64_encode(struct mbx_buf *out, const unsigned char *in, size_t n, const char *alpha,
	   const char (*pairs)[2], int pad)
{
	char q[4], *o;
	size_t i;

	pthread_once(&tables_once, tables_init);
	if (mbx_buf_reserve(out, mbx_b64_encoded_len(n)) < 0)
		return -1;
	/* whole triples straight into the reserved space */
	o = out->data + out->len;
	for (i = 0; i + 2 < n; i += 3, o += 4) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		memcpy(o, pairs[v >> 12], 2);
		memcpy(o + 2, pairs[v & 0xfff], 2);
	}
	out->len = (size_t)(o - out->data);
	out->data[out->len] = '\0';
	if (i < n) {
		unsigned a = in[i], c = i + 1 < n ? in[i + 1] : 0;
		q[0] = alpha[a >> 2];
		q[1] = alpha[((a & 3) << 4) | (c >> 4)];
		q[2] = i + 1 < n ? alpha[(c & 15) << 2] : '=';
		q[3] = '=';
		mbx_buf_append(out, q, pad ? 4 : (i + 1 < n ? 3 : 2));
	}
	return 0;
}

int
mbx_b64_encode(struct mbx_buf *out, const void *in, size_t n)
{
	return b64_encode(out, in, n, b64std, pairs_std, 1);
}

int
mbx_b64url_encode(struct mbx_buf *out, const void *in, size_t n)
{
	return b64_encode(out, in, n, b64url, pairs_url, 0);
}

void
mbx_b64dec_init(struct mbx_b64dec *d)
{
	pthread_once(&tables_once, tables_init);
	d->acc = 0;
	d->nacc = 0;
	d->pad = 0;
	d->bad = 0;
}

#ifdef HAVE_AVX2_PATH
/* 32 characters of the standard alphabet to 24 bytes (the paper, section 4).
 * Classify each byte by its two nibbles: lo & hi is non-zero for a byte outside
 * A-Z a-z 0-9 + /, and "roll" is what to add to turn the character into its value. */
__attribute__((target("avx2"))) static size_t
avx2_run(const unsigned char *p, size_t n, unsigned char *o)
{
	const __m256i lut_lo = _mm256_setr_epi8(
		0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A, 0x1B,
		0x1B, 0x1B, 0x1A, 0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
		0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A);
	const __m256i lut_hi = _mm256_setr_epi8(
		0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10,
		0x10, 0x10, 0x10, 0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10,
		0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
	const __m256i lut_roll = _mm256_setr_epi8(
		0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m256i slash = _mm256_set1_epi8(0x2F);
	/* 6-bit values to bytes: pairs into 12 bits, pairs of those into 24, then gather */
	const __m256i pack_shuffle = _mm256_setr_epi8(
		2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
		2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
	const __m256i pack_lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, -1, -1);
	size_t done = 0;

	for (; n - done >= 32; done += 32) {
		__m256i s = _mm256_loadu_si256((const __m256i *)(const void *)(p + done));
		__m256i hi_n = _mm256_and_si256(_mm256_srli_epi32(s, 4), slash);
		__m256i lo = _mm256_shuffle_epi8(lut_lo, _mm256_and_si256(s, slash));
		__m256i hi = _mm256_shuffle_epi8(lut_hi, hi_n);
		__m256i roll = _mm256_shuffle_epi8(
			lut_roll, _mm256_add_epi8(_mm256_cmpeq_epi8(s, slash), hi_n));

		if (!_mm256_testz_si256(lo, hi))
			break;              /* not all standard characters: the scalar path decides */
		s = _mm256_add_epi8(s, roll);
		s = _mm256_maddubs_epi16(s, _mm256_set1_epi32(0x01400140));
		s = _mm256_madd_epi16(s, _mm256_set1_epi32(0x00011000));
		s = _mm256_shuffle_epi8(s, pack_shuffle);
		s = _mm256_permutevar8x32_epi32(s, pack_lanes);
		_mm256_storeu_si256((__m256i *)(void *)(o + done / 4 * 3), s);  /* 24 + 8 spare */
	}
	return done;
}
#endif

/* Whole quads without padding, 4 characters at a time; stops at anything else. */
static size_t
scalar_run(const unsigned char *p, size_t n, unsigned char *o)
{
	size_t done = 0;

	for (; n - done >= 4; done += 4, o += 3) {
		unsigned a = b64_table[p[done]], b = b64_table[p[done + 1]];
		unsigned c = b64_table[p[done + 2]], e = b64_table[p[done + 3]];
		if ((a | b | c | e) & 0x80)
			break;
		o[0] = (unsigned char)(a << 2 | b >> 4);
		o[1] = (unsigned char)(b << 4 | c >> 2);
		o[2] = (unsigned char)(c << 6 | e);
	}
	return done;
}

/* One character at a time: padding, a quad split across calls, or the bad character. */
static int
one_char(struct mbx_b64dec *d, unsigned char ch, unsigned char **o)
{
	unsigned v;

	if (ch == '=') {
		d->pad++;
		return 0;
	}
	if (d->pad || (v = b64_table[ch]) == 0xff)
		return -1;
	d->acc = (d->acc << 6) | v;
	if (++d->nacc == 4) {
		*(*o)++ = (unsigned char)(d->acc >> 16);
		*(*o)++ = (unsigned char)(d->acc >> 8);
		*(*o)++ = (unsigned char)d->acc;
		d->acc = 0;
		d->nacc = 0;
	}
	return 0;
}

/* Decode a run of characters straight into out's reserved space. */
int
mbx_b64dec_update(struct mbx_b64dec *d, struct mbx_buf *out, const char *in, size_t n)
{
	const unsigned char *p = (const unsigned char *)in, *end = p + n;
	unsigned char *o;
	size_t k;
	int vec = use_avx2;

	/* the vector path stores 32 bytes to write 24: it runs when there is room for that */
	if (d->bad)
		return -1;
	if (!vec || mbx_buf_reserve(out, n / 4 * 3 + 3 + 32) < 0) {
		vec = 0;
		if (mbx_buf_reserve(out, n / 4 * 3 + 3) < 0)
			return d->bad = -1;
	}
	o = (unsigned char *)out->data + out->len;
	while (p < end) {
		if (d->nacc == 0 && !d->pad) {
			k = 0;
#ifdef HAVE_AVX2_PATH
			if (vec)
				k = avx2_run(p, (size_t)(end - p), o);
#endif
			k += scalar_run(p + k, (size_t)(end - p) - k, o + k / 4 * 3);
			p += k;
			o += k / 4 * 3;
			if (p == end)
				break;
		}
		if (one_char(d, *p, &o) < 0)
			break;
		p++;
	}
	/* what was decoded stays a valid, terminated buffer, even when we stop early */
	out->len = (size_t)(o - (unsigned char *)out->data);
	out->data[out->len] = '\0';
	if (p < end)
		return d->bad = -1;
	return 0;
}

int
mbx_b64dec_final(struct mbx_b64dec *d, struct mbx_buf *out)
{
	unsigned char t[2];

	if (d->bad || d->nacc == 1 || d->pad > 2 || (d->pad && (d->nacc + d->pad) % 4))
		return -1;
	if (d->nacc == 2) {
		t[0] = (unsigned char)(d->acc >> 4);
		return mbx_buf_append(out, t, 1);
	}
	if (d->nacc == 3) {
		t[0] = (unsigned char)(d->acc >> 10);
		t[1] = (unsigned char)(d->acc >> 2);
		return mbx_buf_append(out, t, 2);
	}
	return 0;
}

/* Standard or URL-safe base64, padded or not. Whitespace is not allowed: Graph gives one
 * unbroken string (fasttransfer.md 2). */
int
mbx_b64_decode(struct mbx_buf *out, const char *in, size_t n)
{
	struct mbx_b64dec d;

	mbx_b64dec_init(&d);
	if (mbx_b64dec_update(&d, out, in, n) < 0)
		return -1;
	return mbx_b64dec_final(&d, out);
}
