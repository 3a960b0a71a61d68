/* buf.c: bounded growable buffers, safe string helpers, base64, hex SHA-256, URL escaping. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/evp.h>
#include "mbx.h"

void *
mbx_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		mbx_die(MBX_EXIT_SOFTWARE, "out of memory (%zu bytes)", n);
	return p;
}

void *
mbx_xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (!p)
		mbx_die(MBX_EXIT_SOFTWARE, "out of memory");
	return p;
}

void *
mbx_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		mbx_die(MBX_EXIT_SOFTWARE, "out of memory (%zu bytes)", n);
	return q;
}

char *
mbx_strndup(const char *s, size_t n)
{
	char *d;

	if (!s)
		return NULL;
	d = mbx_xmalloc(n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *
mbx_strdup(const char *s)
{
	return s ? mbx_strndup(s, strlen(s)) : NULL;
}

size_t
mbx_strlcpy(char *dst, const char *src, size_t n)
{
	size_t len = strlen(src);

	if (n) {
		size_t c = len < n - 1 ? len : n - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return len;
}

void
mbx_buf_init(struct mbx_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max ? max : MBX_BUF_DEFAULT_MAX;
}

void
mbx_buf_free(struct mbx_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
mbx_buf_reset(struct mbx_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Make room for n more bytes plus the NUL; -1 when that would pass max. */
int
mbx_buf_reserve(struct mbx_buf *b, size_t n)
{
	size_t need, cap;

	if (n > b->max || b->len > b->max - n) {
		errno = ENOBUFS;
		return -1;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->data = mbx_xrealloc(b->data, cap);
	b->cap = cap;
	return 0;
}

int
mbx_buf_append(struct mbx_buf *b, const void *p, size_t n)
{
	if (mbx_buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
mbx_buf_puts(struct mbx_buf *b, const char *s)
{
	return mbx_buf_append(b, s, strlen(s));
}

int
mbx_buf_putc(struct mbx_buf *b, char c)
{
	return mbx_buf_append(b, &c, 1);
}

int
mbx_buf_printf(struct mbx_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || mbx_buf_reserve(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *
mbx_buf_steal(struct mbx_buf *b)
{
	char *d = b->data ? b->data : mbx_strdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}

double
mbx_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
mbx_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
mbx_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

void
mbx_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789abcdef";
	int i;

	EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

/* ------------------------------------------------------------ URL escaping */

int
mbx_url_escape(struct mbx_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			if (mbx_buf_putc(out, (char)c) < 0)
				return -1;
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			if (mbx_buf_append(out, e, 3) < 0)
				return -1;
		}
	}
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
mbx_url_unescape(const char *s, size_t n, int plus)
{
	char *d = mbx_xmalloc(n + 1);
	size_t i, j = 0;

	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			d[j++] = plus && s[i] == '+' ? ' ' : s[i];
			continue;
		}
		if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
			free(d);
			return NULL;
		}
		d[j++] = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
		i += 2;
	}
	d[j] = '\0';
	return d;
}

/* scheme://host:port of a URL: the same in both (a link or redirect that may carry the
 * token), 1 or 0. */
static size_t
origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	return p ? (size_t)(p + 3 - url) + strcspn(p + 3, "/?#") : 0;
}

int
mbx_url_same_origin(const char *a, const char *b)
{
	size_t n = origin_len(a);

	return n && n == origin_len(b) && strncasecmp(a, b, n) == 0;
}

/* "15M": K, M and G are powers of 1024. */
int
mbx_parse_size(const char *s, long long *out)
{
	char num[32];
	size_t n = strlen(s);
	long long mult = 1;
	long v;

	if (n == 0 || n >= sizeof num)
		return -1;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 'k': case 'K': mult = 1LL << 10; break;
	case 'm': case 'M': mult = 1LL << 20; break;
	case 'g': case 'G': mult = 1LL << 30; break;
	}
	if (mult > 1)
		num[n - 1] = '\0';
	if (mbx_parse_long(num, 0, 1L << 30, &v) < 0)
		return -1;
	*out = v * mult;
	return 0;
}

/* "BYTES/SECONDS", the seconds optionally ending in 's': "15M/30s". */
int
mbx_parse_rate(const char *s, long long *bytes, double *secs)
{
	const char *slash = strchr(s, '/');
	char b[32], t[32];
	size_t k;

	if (!slash || (size_t)(slash - s) >= sizeof b || strlen(slash + 1) >= sizeof t)
		return -1;
	memcpy(b, s, (size_t)(slash - s));
	b[slash - s] = '\0';
	mbx_strlcpy(t, slash + 1, sizeof t);
	k = strlen(t);
	if (k > 1 && t[k - 1] == 's')
		t[k - 1] = '\0';
	return mbx_parse_size(b, bytes) < 0 || *bytes == 0 ||
	       mbx_parse_double(t, 0.001, 86400, secs) < 0 ? -1 : 0;
}

/* "2026-11-01", "2026-11-01T08:00", "2026-11-01T08:00:00Z", "...+01:00": the instant in
 * UTC as "2026-11-01T07:00:00Z" (the form Graph's dates compare as text in). */
int
mbx_parse_time(const char *s, char *out, size_t n)
{
	static const char *const forms[] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d" };
	struct tm tm;
	const char *end = NULL;
	long off = 0;
	size_t i;
	time_t t;

	for (i = 0; i < sizeof forms / sizeof *forms && !end; i++) {
		memset(&tm, 0, sizeof tm);
		end = strptime(s, forms[i], &tm);
	}
	if (!end || tm.tm_year < 70)
		return -1;
	if (*end == '.')                        /* fractional seconds: dropped */
		end += 1 + strspn(end + 1, "0123456789");
	if ((*end == '+' || *end == '-') && strlen(end) == 6 && end[3] == ':' &&
	    isdigit((unsigned char)end[1]) && isdigit((unsigned char)end[2]) &&
	    isdigit((unsigned char)end[4]) && isdigit((unsigned char)end[5])) {
		off = ((end[1] - '0') * 10 + end[2] - '0') * 3600 + ((end[4] - '0') * 10 + end[5] - '0') * 60;
		off = *end == '-' ? -off : off;
		end += 6;
	} else if (*end == 'Z') {
		end++;
	}
	if (*end)
		return -1;
	t = timegm(&tm) - off;
	gmtime_r(&t, &tm);
	return strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm) ? 0 : -1;
}
