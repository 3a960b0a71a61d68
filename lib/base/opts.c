/* opts.c: options every program shares, and the environment (mbx(7)). */
#include <stdlib.h>
#include <string.h>
#include "base.h"

#define DEFAULT_GRAPH_URL "https://graph.microsoft.com/beta"

struct mbx_opts mbx_opt;
static char graph_url[512];

void
mbx_opts_init(void)
{
	const char *e;
	size_t n;

	memset(&mbx_opt, 0, sizeof mbx_opt);
	mbx_opt.jobs = 4;              /* the service's concurrency limit per mailbox */
	mbx_opt.retry_max_time = 300;
	e = getenv("MBX_GRAPH_URL");
	mbx_strlcpy(graph_url, e && *e ? e : DEFAULT_GRAPH_URL, sizeof graph_url);
	n = strlen(graph_url);
	while (n > 0 && graph_url[n - 1] == '/')
		graph_url[--n] = '\0';
	mbx_opt.graph_url = graph_url;
	e = getenv("MBX_CACERT");
	mbx_opt.cacert = e && *e ? e : NULL;
}

_Noreturn void
mbx_usage(const char *usage, int code)
{
	FILE *f = code ? stderr : stdout;

	fprintf(f, "usage: %s\n", usage);
	if (!code)
		fputs("common options: -h help, -v verbose, -q quiet, -n dry run, -j/--jobs N,\n"
		      "  --stats FILE, --cacert FILE, --retry-max-time S, --archive, --insecure,\n"
		      "  --version; see mbx(7)\n", f);
	exit(code);
}

int
mbx_opts_common(int c, const char *arg, const char *usage)
{
	long l;

	switch (c) {
	case 'h':
		mbx_usage(usage, 0);
	case 'v':
		mbx_verbosity = mbx_verbosity < 0 ? 1 : mbx_verbosity + 1;
		return 1;
	case 'q':
		mbx_verbosity = -1;
		return 1;
	case 'n':
		mbx_opt.dry_run = 1;
		return 1;
	case 'j':
		if (mbx_parse_long(arg, 1, 64, &l) < 0)
			mbx_die(MBX_EXIT_USAGE, "invalid --jobs '%s': expected 1..64", arg);
		mbx_opt.jobs = (int)l;
		return 1;
	case MBX_OPT_STATS:
		mbx_opt.stats = arg;
		return 1;
	case MBX_OPT_CACERT:
		mbx_opt.cacert = arg;
		return 1;
	case MBX_OPT_RETRY_MAX_TIME:
		if (mbx_parse_double(arg, 0, 86400, &mbx_opt.retry_max_time) < 0)
			mbx_die(MBX_EXIT_USAGE, "invalid --retry-max-time '%s': expected seconds",
				arg);
		return 1;
	case MBX_OPT_VERSION:
		printf("%s (mbx) %s\n", mbx_progname, MBX_VERSION);
		exit(0);
	case MBX_OPT_ARCHIVE:
		mbx_opt.archive = 1;
		return 1;
	case MBX_OPT_INSECURE:
		mbx_opt.insecure = 1;
		return 1;
	case '?':
		mbx_usage(usage, MBX_EXIT_USAGE);
	}
	return 0;
}
