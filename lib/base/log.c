/* log.c: diagnostics on stderr, exit codes, and redaction of secrets in logs. */
#include <errno.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "base.h"

const char *mbx_progname = "mbx";
int mbx_verbosity;

void
mbx_log_init(const char *argv0)
{
	const char *slash;

	if (!argv0 || !*argv0)
		return;
	slash = strrchr(argv0, '/');
	mbx_progname = slash ? slash + 1 : argv0;
}

static void
vlog(const char *prefix, const char *fmt, va_list ap)
{
	char line[4096];
	size_t n;

	/* One write per line so lines of concurrent pipeline stages do not interleave. */
	vsnprintf(line, sizeof line, fmt, ap);
	/* A message quoted from the service (a Graph error, graph-api.md 6.1, or an OAuth
	 * error_description) ends with a full stop; a line of ours does not. */
	n = strlen(line);
	if (n > 1 && line[n - 1] == '.' && line[n - 2] != '.')
		line[n - 1] = '\0';
	if (__fpending(stdout))          /* records written before the line come first */
		fflush(stdout);          /* (a failure is the exit status: record.c) */
	mbx_progress_hold(stderr);       /* above the progress lines, not through them */
	fprintf(stderr, "%s: %s%s\n", mbx_progname, prefix, line);
	mbx_progress_release();
}

void
mbx_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void
mbx_warn(const char *fmt, ...)
{
	va_list ap;

	if (mbx_verbosity < 0)
		return;
	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void
mbx_debug(const char *fmt, ...)
{
	va_list ap;

	if (mbx_verbosity < 1)
		return;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

_Noreturn void
mbx_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
	exit(code);
}

/* Markers after which a secret value follows, and the characters that end it. */
static const struct {
	const char *mark;
	const char *stop;
} secrets[] = {
	{ "Bearer ", " \t\r\n\"',;" },
	{ "authtoken=", "&# \t\r\n\"'" },
	{ "client_secret=", "&# \t\r\n\"'" },
	{ "client_assertion=", "&# \t\r\n\"'" },
	{ "refresh_token=", "&# \t\r\n\"'" },
	{ "device_code=", "&# \t\r\n\"'" },
	{ "\"access_token\":\"", "\"" },
	{ "\"refresh_token\":\"", "\"" },
	{ "\"importUrl\":\"", "\"" },
};

/* Index of the earliest secret marker in s at or after i, or -1. */
static int
next_secret(const char *s, size_t *at)
{
	int best = -1;
	size_t bestpos = (size_t)-1, k;

	for (k = 0; k < sizeof secrets / sizeof secrets[0]; k++) {
		const char *p = strcasestr(s, secrets[k].mark);
		if (p && (size_t)(p - s) < bestpos) {
			bestpos = (size_t)(p - s);
			best = (int)k;
		}
	}
	*at = bestpos;
	return best;
}

char *
mbx_redact(const char *s, char *out, size_t n)
{
	struct mbx_buf b;
	size_t at;
	int k;

	mbx_buf_init(&b, n ? n - 1 : 1);
	while (s && *s && (k = next_secret(s, &at)) >= 0) {
		size_t ml = strlen(secrets[k].mark);
		mbx_buf_append(&b, s, at + ml);
		mbx_buf_puts(&b, "[REDACTED]");
		s += at + ml;
		s += strcspn(s, secrets[k].stop);
	}
	if (s)
		mbx_buf_puts(&b, s);
	mbx_strlcpy(out, b.data ? b.data : "", n);
	mbx_buf_free(&b);
	return out;
}
