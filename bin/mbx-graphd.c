/* mbx-graphd: a local emulator of the Microsoft Graph mailbox import/export API and of
 * the identity platform's token endpoint, for tests, benchmarks and demos. */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "server.h"

static const char usage[] =
	"mbx-graphd [options] [--seed FILE] [--generate SPEC] [--state DIR]";

enum { OPT_LISTEN = 0x200, OPT_PORT_FILE, OPT_CERT, OPT_KEY, OPT_SEED, OPT_GENERATE,
       OPT_STATE, OPT_LOG, OPT_TOKEN_LIFETIME, OPT_FAULT, OPT_PAGE_SIZE, OPT_QUOTA,
       OPT_IMPORT_LIFETIME, OPT_FAULTS, OPT_WK, OPT_SCOPE,
       OPT_XPROPS, OPT_FSYNC };
/* The command line: the emulator's own options, and of the common ones -h, -v and
 * --version only (it is not a Graph client). */
static const struct mbx_optdef optdefs[] = {
	{ "listen", 0, 1, "ADDR:PORT",
	  "the address and port (default 127.0.0.1:8443; port 0: any)", OPT_LISTEN },
	{ "port-file", 0, 1, "FILE", "write the bound port to FILE", OPT_PORT_FILE },
	{ "tls-cert", 0, 1, "PEM", "serve HTTPS with this certificate (with --tls-key)", OPT_CERT },
	{ "tls-key", 0, 1, "PEM", "the key of --tls-cert", OPT_KEY },
	{ "seed", 0, 1, "FILE", "load a tenant from NDJSON records", OPT_SEED },
	{ "generate", 0, 1, "SPEC",
	  "generate a deterministic tenant: users=N,folders=N,...", OPT_GENERATE },
	{ "state", 0, 1, "DIR", "keep the store in DIR across restarts", OPT_STATE },
	{ "fsync", 0, 1, "WHEN",
	  "--state's fsync: second (default) or always (before each answer)", OPT_FSYNC },
	{ "log", 0, 1, "FILE", "append one JSON line per request to FILE", OPT_LOG },
	{ "token-lifetime", 0, 1, "S",
	  "lifetime of the access tokens issued (default 3599)", OPT_TOKEN_LIFETIME },
	{ "import-lifetime", 0, 1, "S", "lifetime of import sessions", OPT_IMPORT_LIFETIME },
	{ "fault", 0, 1, "RULE", "inject a fault (mbx-graphd(1) FAULTS); repeatable", OPT_FAULT },
	{ "faults", 0, 1, "FILE", "fault rules from FILE, one per line", OPT_FAULTS },
	{ "page-size", 0, 1, "N", "the default page size of collections (10)", OPT_PAGE_SIZE },
	{ "quota", 0, 1, "SPEC", "limits: concurrency=N,upload=BYTES/SECONDS,...", OPT_QUOTA },
	{ "well-known-names", 0, 1, "WHICH",
	  "all, none or NAME,...: the names a path may use", OPT_WK },
	{ "folders-scope", 0, 1, "SCOPE", "what GET .../folders lists: tree or top", OPT_SCOPE },
	{ "item-properties", 0, 1, "HOW",
	  "$expand of extended properties on item listings: serve, refuse or ignore", OPT_XPROPS },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct mbx_optset cmdline = { usage, optdefs, MBX_COMMON_VERBOSE };

struct config {
	const char *listen, *port_file, *cert, *key, *seed, *generate, *state, *log;
	long token_lifetime;
	int fsync_always;
};

static struct gd_server server;

/* --quota item= at most this: the body bound (base64 and JSON) stays near 270 MB. */
#define ITEM_MAX ((size_t)200 << 20)
static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const struct gd_oauth_app *
find_app(void *ctx, const char *client)
{
	struct gd_store *s = ctx;
	size_t i;

	for (i = 0; i < s->napps; i++)
		if (strcmp(s->apps[i]->pub.client_id, client) == 0)
			return &s->apps[i]->pub;
	return NULL;
}

static const struct gd_oauth_user *
find_user(void *ctx, const char *upn)
{
	static __thread struct gd_oauth_user u;
	struct gd_user *usr = upn ? gd_user_find(ctx, upn) : NULL;

	if (!usr)
		return NULL;
	u.upn = usr->upn;
	u.id = usr->id;
	return &u;
}

static void
parse_quota(const char *spec)
{
	const char *s = spec;
	long c;

	while (*s) {
		size_t n = strcspn(s, ",");
		char one[64];
		int bad = n >= sizeof one;
		if (!bad) {
			memcpy(one, s, n);
			one[n] = '\0';
		}
		if (!bad && strncmp(one, "concurrency=", 12) == 0) {
			bad = mbx_parse_long(one + 12, 1, 1000, &c) < 0;
			server.store.concurrency = bad ? server.store.concurrency : (int)c;
		} else if (!bad && strncmp(one, "upload=", 7) == 0) {
			bad = mbx_parse_rate(one + 7, &server.store.upload_bytes,
					     &server.store.upload_window) < 0;
		} else if (!bad && strncmp(one, "item=", 5) == 0) {
			long long max;
			bad = mbx_parse_size(one + 5, &max) < 0 || max < 1 || (size_t)max > ITEM_MAX;
			server.store.item_max = bad ? server.store.item_max : max;
		} else {
			bad = 1;
		}
		if (bad)
			mbx_die(MBX_EXIT_USAGE, "invalid --quota '%s': expected concurrency=N, "
				"upload=BYTES/SECONDS or item=BYTES (1 to 200M), comma-separated", spec);
		s += n + (s[n] == ',');
	}
}

/* The well-known names the emulator's folders have (graph-api.md 3.0). */
static const char *const wk_known[] = { "msgfolderroot", "inbox", "drafts", "sentitems",
	"deleteditems", "junkemail", "outbox", "archive", "conversationhistory",
	"recoverableitemsdeletions", "archivedeleteditems", NULL };

/* --well-known-names all|none|NAME,...: the other reading of graph-api.md 8.23. */
static void
parse_wk(const char *spec)
{
	struct gd_store *s = &server.store;
	const char *p = spec;
	size_t k, i;

	s->wk_names = NULL;
	s->nwk_names = 0;
	if (strcmp(spec, "all") == 0)
		return;
	s->wk_names = mbx_xcalloc(sizeof wk_known / sizeof *wk_known, sizeof *s->wk_names);
	if (strcmp(spec, "none") == 0)
		return;
	for (; *p; p += k + (p[k] == ',')) {
		k = strcspn(p, ",");
		for (i = 0; wk_known[i] && !(strlen(wk_known[i]) == k &&
					     strncasecmp(wk_known[i], p, k) == 0); i++)
			;
		if (!wk_known[i])
			mbx_die(MBX_EXIT_USAGE, "invalid --well-known-names '%s': '%.*s' is not one "
				"of msgfolderroot, inbox, drafts, sentitems, deleteditems, junkemail, "
				"outbox, archive, conversationhistory, recoverableitemsdeletions, "
				"archivedeleteditems (or give all or none)", spec, (int)k, p);
		if (!gd_wk_allowed(s, wk_known[i]))
			s->wk_names[s->nwk_names++] = (char *)wk_known[i];
	}
}

/* --faults FILE: one rule per line (mbx-graphd(1) FAULTS); # starts a comment. */
static void
load_faults(const char *path)
{
	char line[1024], err[512];
	FILE *f = fopen(path, "r");
	unsigned long n = 0;

	if (!f)
		mbx_die(MBX_EXIT_USAGE, "cannot read --faults '%s'", path);
	while (fgets(line, sizeof line, f)) {
		n++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!*line || *line == '#')
			continue;
		if (gd_fault_add(&server, line, err, sizeof err) < 0)
			mbx_die(MBX_EXIT_USAGE, "%s:%lu: %s", path, n, err);
	}
	fclose(f);
}

static void
parse_args(int argc, char **argv, struct config *cf)
{
	char err[512];
	long l;
	int c;

	while ((c = mbx_opts_next(&cmdline, argc, argv)) != -1) {
		switch (c) {
		case OPT_LISTEN: cf->listen = optarg; break;
		case OPT_PORT_FILE: cf->port_file = optarg; break;
		case OPT_CERT: cf->cert = optarg; break;
		case OPT_KEY: cf->key = optarg; break;
		case OPT_SEED: cf->seed = optarg; break;
		case OPT_GENERATE: cf->generate = optarg; break;
		case OPT_STATE: cf->state = optarg; break;
		case OPT_FSYNC:
			if (strcmp(optarg, "always") != 0 && strcmp(optarg, "second") != 0)
				mbx_die(MBX_EXIT_USAGE, "invalid --fsync '%s': expected second or "
					"always", optarg);
			cf->fsync_always = !strcmp(optarg, "always");
			break;
		case OPT_LOG: cf->log = optarg; break;
		case OPT_QUOTA: parse_quota(optarg); break;
		case OPT_WK: parse_wk(optarg); break;
		case OPT_SCOPE:
			if (strcmp(optarg, "tree") != 0 && strcmp(optarg, "top") != 0)
				mbx_die(MBX_EXIT_USAGE, "invalid --folders-scope '%s': expected tree "
					"or top", optarg);
			server.store.folders_top = strcmp(optarg, "top") == 0;
			break;
		case OPT_XPROPS:
			if (!strcmp(optarg, "serve") || !strcmp(optarg, "refuse") || !strcmp(optarg, "ignore"))
				server.store.item_props = *optarg == 's' ? GD_PROPS_SERVE :
					*optarg == 'r' ? GD_PROPS_REFUSE : GD_PROPS_IGNORE;
			else
				mbx_die(MBX_EXIT_USAGE, "invalid --item-properties '%s': expected serve, "
					"refuse or ignore", optarg);
			break;
		case OPT_TOKEN_LIFETIME:
			if (mbx_parse_long(optarg, 1, 86400, &cf->token_lifetime) < 0)
				mbx_die(MBX_EXIT_USAGE, "invalid --token-lifetime '%s'", optarg);
			break;
		case OPT_IMPORT_LIFETIME:
			if (mbx_parse_long(optarg, 1, 7 * 86400, &server.store.import_lifetime) < 0)
				mbx_die(MBX_EXIT_USAGE, "invalid --import-lifetime '%s'", optarg);
			break;
		case OPT_PAGE_SIZE:
			if (mbx_parse_long(optarg, 1, 1000, &l) < 0)
				mbx_die(MBX_EXIT_USAGE, "invalid --page-size '%s': expected 1..1000", optarg);
			server.store.page_size = (int)l;
			break;
		case OPT_FAULTS:
			load_faults(optarg);
			break;
		case OPT_FAULT:
			if (gd_fault_add(&server, optarg, err, sizeof err) < 0)
				mbx_die(MBX_EXIT_USAGE, "%s", err);
			break;
		}
	}
	if (optind != argc || (!cf->cert != !cf->key))
		mbx_usage(&cmdline, MBX_EXIT_USAGE);
}

static void
load_data(const struct config *cf)
{
	char err[1024];
	uint64_t lsn = 0;
	int loaded = 0, current = 0;

	if (cf->state && (loaded = gd_state_load(&server.store, cf->state, &lsn, &current, err,
						 sizeof err)) < 0)
		mbx_die(MBX_EXIT_USAGE, "the saved state does not load: %s", err);
	if (loaded && (cf->seed || cf->generate))
		mbx_warn("using the saved state in '%s'; --seed and --generate ignored", cf->state);
	if (!loaded && cf->seed && gd_seed(&server.store, cf->seed, err, sizeof err) < 0)
		mbx_die(MBX_EXIT_USAGE, "%s", err);
	if (!loaded && cf->generate && gd_generate(&server.store, cf->generate, err, sizeof err) < 0)
		mbx_die(MBX_EXIT_USAGE, "%s", err);
	if (!server.store.tenant_id)
		mbx_die(MBX_EXIT_USAGE, "no tenant: give --seed with a tenant record, or --generate");
	/* a snapshot of what was loaded or made, and from now on a log of every change */
	if (cf->state && gd_log_open(&server.store, cf->state, lsn, current, cf->fsync_always,
					   err, sizeof err) < 0)
		mbx_die(MBX_EXIT_IO, "%s", err);
}

static void
setup_oauth(const struct config *cf)
{
	struct gd_oauth_dir dir = { server.store.tenant_id, server.store.domain, find_app,
				    find_user, &server.store };
	char err[512], key[4096];

	if (cf->state)
		snprintf(key, sizeof key, "%s/signing.key", cf->state);
	server.oauth = gd_oauth_new(&dir, cf->state ? key : NULL, cf->token_lifetime, err,
				    sizeof err);
	if (!server.oauth)
		mbx_die(MBX_EXIT_IO, "%s", err);
}

int
main(int argc, char **argv)
{
	struct config cf = { "127.0.0.1:8443", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0 };
	struct sigaction sa;
	char err[1024];

	mbx_log_init(argv[0]);
	mbx_opts_init();
	gd_store_init(&server.store);
	pthread_mutex_init(&server.log_mu, NULL);
	pthread_mutex_init(&server.fault_mu, NULL);
	parse_args(argc, argv, &cf);
	if (cf.log && !(server.log = fopen(cf.log, "a")))
		mbx_die(MBX_EXIT_IO, "cannot open log '%s'", cf.log);
	load_data(&cf);
	setup_oauth(&cf);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (gd_server_start(&server, cf.listen, cf.cert, cf.key, cf.port_file, err, sizeof err) < 0)
		mbx_die(MBX_EXIT_USAGE, "%s", err);
	while (!stop)
		pause();
	gd_server_stop(&server);
	if (gd_log_close(&server.store, err, sizeof err) < 0)
		mbx_die(MBX_EXIT_IO, "%s", err);
	if (server.log)
		fclose(server.log);
	gd_oauth_free(server.oauth);
	return 0;
}
