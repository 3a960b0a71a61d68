/* auth.c: bearer tokens for Graph (graph-api.md 2). Sources in order: MBX_ACCESS_TOKEN,
 * MBX_TOKEN_COMMAND, client secret, certificate (signed JWT client assertion), device code.
 * Fetched tokens are cached per tenant+client under $XDG_CACHE_HOME/mbx/, 0600, under a
 * file lock, so the processes of one pipeline share one token. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <openssl/crypto.h>
#include "auth-int.h"

#define GRAPH_SCOPE "https://graph.microsoft.com/.default"
#define DELEGATED_SCOPES "https://graph.microsoft.com/MailboxItem.ImportExport " \
	"https://graph.microsoft.com/MailboxFolder.ReadWrite https://graph.microsoft.com/User.Read " \
	"offline_access"

static const char *const source_names[] = {
	"MBX_ACCESS_TOKEN", "MBX_TOKEN_COMMAND", "client secret", "certificate", "device code"
};

const char *
mbx_auth_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static const char *
source_name(const struct mbx_auth *a)
{
	return source_names[a->src];
}

void
mbx_auth_free(struct mbx_auth *a)
{
	if (a) {
		OPENSSL_cleanse(a->token, sizeof a->token);
		OPENSSL_cleanse(a->refresh, sizeof a->refresh);
		free(a);
	}
}

static int
pick_source(struct mbx_auth *a, char *err, size_t n)
{
	if (mbx_auth_env("MBX_ACCESS_TOKEN")) {
		a->src = SRC_STATIC;
		return 0;
	}
	if (mbx_auth_env("MBX_TOKEN_COMMAND")) {
		a->src = SRC_COMMAND;
		return 0;
	}
	if (!mbx_auth_env("AZURE_TENANT_ID") || !mbx_auth_env("AZURE_CLIENT_ID")) {
		snprintf(err, n, "no credentials: set MBX_ACCESS_TOKEN, MBX_TOKEN_COMMAND, or "
			 "AZURE_TENANT_ID and AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or "
			 "AZURE_CLIENT_CERTIFICATE_PATH (see mbx(7))");
		return -1;
	}
	if (mbx_auth_env("MBX_AUTH") && strcmp(mbx_auth_env("MBX_AUTH"), "devicecode") == 0)
		a->src = SRC_DEVICE;
	else if (mbx_auth_env("AZURE_CLIENT_SECRET"))
		a->src = SRC_SECRET;
	else if (mbx_auth_env("AZURE_CLIENT_CERTIFICATE_PATH"))
		a->src = SRC_CERT;
	else
		a->src = SRC_DEVICE;
	return 0;
}

/* MBX_TOKEN_COMMAND: its first line of output, bounded. */
static int
run_command(struct mbx_auth *a, char *err, size_t n)
{
	const char *cmd = mbx_auth_env("MBX_TOKEN_COMMAND");
	FILE *p = popen(cmd, "r");
	int st;

	if (!p) {
		snprintf(err, n, "cannot run MBX_TOKEN_COMMAND: %s", strerror(errno));
		return -1;
	}
	if (!fgets(a->token, sizeof a->token, p))
		a->token[0] = '\0';
	while (getc(p) != EOF)
		;
	st = pclose(p);
	a->token[strcspn(a->token, "\r\n")] = '\0';
	if (st != 0 || !*a->token) {
		snprintf(err, n, "MBX_TOKEN_COMMAND %s", st != 0 ? "failed (exit status non-zero)"
			 : "printed no token");
		OPENSSL_cleanse(a->token, sizeof a->token);
		return -1;
	}
	a->expires = time(NULL) + 3600;
	return 0;
}

static int
fetch(struct mbx_auth *a, struct mbx_err *e)
{
	mbx_debug("getting a token (%s)", source_name(a));
	if (a->src == SRC_DEVICE)
		return mbx_auth_device(a, e);
	return mbx_auth_client_credentials(a, e);
}

/* Fetch under the cache lock: the first process of a pipeline fetches, the others find
 * its token in the cache when they get the lock. */
static int
fetch_cached(struct mbx_auth *a, int force, struct mbx_err *e)
{
	int fd = -1, rc;

	if (*a->cache && (fd = mbx_tokcache_lock(a, e->msg, sizeof e->msg)) < 0)
		return -1;
	rc = *a->cache ? mbx_tokcache_read(a, e->msg, sizeof e->msg) : 0;
	if (rc < 0) {
		mbx_tokcache_unlock(fd);
		return -1;
	}
	if (rc == 0 || force) {
		OPENSSL_cleanse(a->token, sizeof a->token);
		rc = fetch(a, e);
		if (rc == 0 && *a->cache)
			mbx_tokcache_write(a);
	} else {
		rc = 0;
	}
	mbx_tokcache_unlock(fd);
	return rc;
}

const char *
mbx_auth_token(struct mbx_auth *a, int force, struct mbx_err *e)
{
	int rc = 0;

	mbx_err_clear(e);
	if (a->src == SRC_STATIC) {
		if (force) {
			mbx_err_set(e, MBX_ERR_AUTH, NULL, "the service refused MBX_ACCESS_TOKEN");
			return NULL;
		}
		return mbx_auth_env("MBX_ACCESS_TOKEN");
	}
	if (!force && *a->token && a->expires - STALE_MARGIN > time(NULL))
		return a->token;
	if (a->src == SRC_COMMAND)
		rc = run_command(a, e->msg, sizeof e->msg);
	else
		rc = fetch_cached(a, force, e);
	if (rc == 0) {
		mbx_err_clear(e);
		return a->token;
	}
	if (e->kind == MBX_ERR_NONE)    /* the cache, the command, a token not usable */
		e->kind = MBX_ERR_AUTH;
	return NULL;
}

struct mbx_auth *
mbx_auth_new(struct mbx_http *http, char *err, size_t n)
{
	struct mbx_auth *a = mbx_xcalloc(1, sizeof *a);
	const char *auth = mbx_auth_env("AZURE_AUTHORITY_HOST"), *scopes = mbx_auth_env("MBX_SCOPES");
	const char *cert = mbx_auth_env("AZURE_CLIENT_CERTIFICATE_PATH");
	const char *tenant = mbx_auth_env("AZURE_TENANT_ID"), *client = mbx_auth_env("AZURE_CLIENT_ID");
	struct stat st;
	size_t len;

	a->http = http;
	if (pick_source(a, err, n) < 0) {
		free(a);
		return NULL;
	}
	/* at once, not only when a token is fetched: a cached token must not hide it */
	if (a->src == SRC_CERT && stat(cert, &st) == 0 &&
	    mbx_auth_refuse_open_key(cert, &st, err, n) < 0) {
		free(a);
		return NULL;
	}
	mbx_strlcpy(a->tenant, tenant ? tenant : "", sizeof a->tenant);
	mbx_strlcpy(a->client, client ? client : "", sizeof a->client);
	mbx_strlcpy(a->authority, auth ? auth : "https://login.microsoftonline.com",
		    sizeof a->authority);
	len = strlen(a->authority);
	while (len > 0 && a->authority[len - 1] == '/')
		a->authority[--len] = '\0';
	mbx_strlcpy(a->scope, a->src == SRC_DEVICE ? (scopes ? scopes : DELEGATED_SCOPES)
		    : GRAPH_SCOPE, sizeof a->scope);
	if (a->src >= SRC_SECRET)
		mbx_tokcache_path(a);
	return a;
}
