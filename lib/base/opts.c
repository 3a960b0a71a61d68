/* opts.c: options every program shares, and the environment (mbx(7)). */
#include <assert.h>
#include <getopt.h>
#include <stdio.h>
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

/* The common options, in the order --help lists them, each with the group that
 * brings it (0: every program). */
static const struct common {
	unsigned group;
	struct mbx_optdef d;
} commons[] = {
	{ 0, { "help", 'h', 0, NULL, "print this help and exit", 'h' } },
	{ MBX_COMMON_VERBOSE, { "verbose", 'v', 0, NULL, "more on stderr: each request (twice: headers)", 'v' } },
	{ MBX_COMMON_QUIET, { "quiet", 'q', 0, NULL, "no warnings, no progress line", 'q' } },
	{ MBX_COMMON_DRYRUN, { "dry-run", 'n', 0, NULL, "say what would change; change nothing", 'n' } },
	{ MBX_COMMON_NET, { "jobs", 'j', 1, "N", "requests in flight per mailbox (default 4)", 'j' } },
	{ MBX_COMMON_STATS, { "stats", 0, 1, "FILE", "write a final JSON record of counts to FILE",
			      MBX_OPT_STATS } },
	{ MBX_COMMON_NET, { "cacert", 0, 1, "FILE", "trust the CA certificates in FILE (PEM)",
			    MBX_OPT_CACERT } },
	{ MBX_COMMON_NET, { "retry-max-time", 0, 1, "S", "stop retrying a request after S seconds "
			    "(default 300)", MBX_OPT_RETRY_MAX_TIME } },
	{ MBX_COMMON_ARCHIVE, { "archive", 0, 0, NULL, "use the in-place archive mailbox",
				MBX_OPT_ARCHIVE } },
	{ MBX_COMMON_NET, { "insecure", 0, 0, NULL, "do not verify the service's TLS certificate",
			    MBX_OPT_INSECURE } },
	{ 0, { "version", 0, 0, NULL, "print the version and exit", MBX_OPT_VERSION } },
};
#define NCOMMON (sizeof commons / sizeof commons[0])
#define MAXOPTS 48

static int
takes(const struct mbx_optset *set, const struct common *c)
{
	return c->group == 0 || (set->common & c->group) != 0;
}

/* "  -j, --jobs N" or "      --delta STATE" into out (bounded). */
static void
opt_label(const struct mbx_optdef *d, char *out, size_t n)
{
	snprintf(out, n, "  %c%c%s%s%s%s%s", d->shortopt ? '-' : ' ', d->shortopt ? d->shortopt : ' ',
		 d->shortopt && d->name ? ", " : "  ", d->name ? "--" : "", d->name ? d->name : "",
		 d->arg ? " " : "", d->arg ? d->arg : "");
}

static size_t
label_width(const struct mbx_optset *set)
{
	char l[128];
	size_t i, w = 0;

	for (i = 0; set->opts && set->opts[i].id; i++) {
		opt_label(&set->opts[i], l, sizeof l);
		w = strlen(l) > w ? strlen(l) : w;
	}
	for (i = 0; i < NCOMMON; i++)
		if (takes(set, &commons[i])) {
			opt_label(&commons[i].d, l, sizeof l);
			w = strlen(l) > w ? strlen(l) : w;
		}
	return w;
}

static void
print_opt(FILE *f, const struct mbx_optdef *d, size_t w)
{
	char l[128];

	opt_label(d, l, sizeof l);
	fprintf(f, "%-*s  %s\n", (int)w, l, d->help);
}

_Noreturn void
mbx_usage(const struct mbx_optset *set, int code)
{
	FILE *f = code ? stderr : stdout;
	size_t i, w;

	fprintf(f, "usage: %s\n", set->usage);
	if (!code) {
		/* t8100: bin/mbx.bash-completion reads these lines: an option, a value named
		 * in upper case, then a gap of two blanks before the description */
		w = label_width(set);
		if (set->opts && set->opts[0].id) {
			fputs("\noptions:\n", f);
			for (i = 0; set->opts[i].id; i++)
				print_opt(f, &set->opts[i], w);
		}
		fputs("\ncommon options (mbx(7) COMMON OPTIONS):\n", f);
		for (i = 0; i < NCOMMON; i++)
			if (takes(set, &commons[i]))
				print_opt(f, &commons[i].d, w);
	}
	exit(code);
}

/* getopt_long's tables for set, built once (a program parses one command line). */
static void
build(const struct mbx_optset *set, char *shorts, size_t nshort, struct option *lo)
{
	const struct mbx_optdef *all[MAXOPTS];
	size_t i, n = 0, k = 0, j = 0;

	for (i = 0; i < NCOMMON; i++)
		if (takes(set, &commons[i]))
			all[n++] = &commons[i].d;
	for (i = 0; set->opts && set->opts[i].id; i++) {
		if (n == MAXOPTS)
			mbx_die(MBX_EXIT_SOFTWARE, "too many options");
		all[n++] = &set->opts[i];
	}
	shorts[k++] = ':';                      /* a missing value returns ':' */
	for (i = 0; i < n; i++) {
		if (all[i]->shortopt && k + 3 < nshort) {
			shorts[k++] = (char)all[i]->shortopt;
			if (all[i]->has_arg)
				shorts[k++] = ':';
		}
		if (all[i]->name)
			lo[j++] = (struct option){ all[i]->name, all[i]->has_arg, NULL, all[i]->id };
	}
	shorts[k] = '\0';
	lo[j] = (struct option){ NULL, 0, NULL, 0 };
}

/* The word getopt stopped at, for a message: "--name" (without "=value") or "-x". */
static _Noreturn void
bad_option(const struct mbx_optset *set, int c, char **argv)
{
	const char *w = argv[optind - 1];
	int n;

	if (optopt && optopt < 0x100 && !(w[0] == '-' && w[1] == '-'))
		mbx_err("%s '-%c'", c == ':' ? "missing value for option" : "unknown option", optopt);
	else {
		n = (int)strcspn(w, "=");
		if (c == ':')
			mbx_err("missing value for option '%.*s'", n, w);
		else if (optopt && w[n] == '=')
			mbx_err("option '%.*s' takes no value", n, w);
		else
			mbx_err("unknown option '%.*s'", n, w);
	}
	mbx_usage(set, MBX_EXIT_USAGE);
}

static int
common(const struct mbx_optset *set, int c, const char *arg)
{
	long l;

	switch (c) {
	case 'h':
		mbx_usage(set, 0);
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
	}
	return 0;
}

int
mbx_opts_next(const struct mbx_optset *set, int argc, char **argv)
{
	static const struct mbx_optset *built;
	static struct option lo[MAXOPTS + 1];
	static char shorts[2 * MAXOPTS + 2];
	int c;

	/* every caller passes its program's table; the analyzer, seeing set compared with
	 * built (NULL at first), would otherwise follow a NULL set into mbx_usage */
	assert(set != NULL);
	if (built != set) {
		build(set, shorts, sizeof shorts, lo);
		built = set;
	}
	opterr = 0;                             /* our messages, in mbx(7)'s voice */
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (c == '?' || c == ':')
			bad_option(set, c, argv);
		if (!common(set, c, optarg))
			return c;
	}
	return -1;
}
