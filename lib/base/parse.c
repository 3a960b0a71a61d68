/* parse.c: numbers, sizes, rates and ISO 8601 times from the command line and records;
 * the monotonic clock. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "base.h"

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
