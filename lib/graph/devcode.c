/* devcode.c: the device code sign-in (RFC 8628, graph-api.md 2.4), for an app with no
 * secret or certificate; a refresh token saved in the cache is tried first. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "auth-int.h"

/* Poll the token endpoint until the user signs in (RFC 8628, graph-api.md 2.4). */
static int
poll_device(struct mbx_auth *a, const char *code, long interval, long expires, int *exitcode,
	    char *err, size_t n)
{
	time_t end = time(NULL) + expires;
	struct mbx_buf form;
	yajl_val v;
	char why[400];
	long status;
	const char *e;

	while (time(NULL) < end) {
		sleep((unsigned)interval);
		mbx_buf_init(&form, 0);
		mbx_auth_form_add(&form, "grant_type", "urn:ietf:params:oauth:grant-type:device_code");
		mbx_auth_form_add(&form, "client_id", a->client);
		mbx_auth_form_add(&form, "device_code", code);
		status = mbx_auth_post(a, "token", &form, &v, exitcode, why, sizeof why);
		mbx_buf_free(&form);
		if (status == 200) {
			int rc = mbx_auth_take(a, v, err, n);
			yajl_tree_free(v);
			return rc;
		}
		e = v ? mbx_json_str(v, "error") : NULL;
		if (e && strcmp(e, "slow_down") == 0)
			interval += 5;
		if (!e || (strcmp(e, "authorization_pending") != 0 && strcmp(e, "slow_down") != 0)) {
			if (v)
				mbx_auth_oauth_error(v, why, sizeof why);
			snprintf(err, n, "device code sign-in for client '%s' failed: %s", a->client,
				 why);
			yajl_tree_free(v);
			*exitcode = status ? MBX_EXIT_AUTH : *exitcode;
			return -1;
		}
		yajl_tree_free(v);
	}
	snprintf(err, n, "device code sign-in for client '%s' timed out", a->client);
	*exitcode = MBX_EXIT_AUTH;
	return -1;
}

int
mbx_auth_device(struct mbx_auth *a, int *exitcode, char *err, size_t n)
{
	struct mbx_buf form;
	long long interval = 5, expires = 900;
	const char *code, *msg;
	char why[400];
	yajl_val v;
	long status;
	int rc = -1;

	if (*a->refresh && mbx_auth_refresh(a, exitcode, err, n) == 0)
		return 0;
	/* a sign-in nobody can see would wait for its whole lifetime (cron, CI): only on a
	 * terminal, or when MBX_AUTH=devicecode asks for it (mbx(7) AUTHENTICATION) */
	if (!(mbx_auth_env("MBX_AUTH") && strcmp(mbx_auth_env("MBX_AUTH"), "devicecode") == 0) &&
	    !isatty(STDERR_FILENO)) {
		*exitcode = MBX_EXIT_AUTH;
		snprintf(err, n, "no credentials for client '%s' and no terminal for a device code "
			 "sign-in: set AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH, "
			 "MBX_ACCESS_TOKEN or MBX_TOKEN_COMMAND, or MBX_AUTH=devicecode to sign in "
			 "anyway (see mbx(7))", a->client);
		return -1;
	}
	mbx_buf_init(&form, 0);
	mbx_auth_form_add(&form, "client_id", a->client);
	mbx_auth_form_add(&form, "scope", a->scope);
	status = mbx_auth_post(a, "devicecode", &form, &v, exitcode, why, sizeof why);
	mbx_buf_free(&form);
	code = v ? mbx_json_str(v, "device_code") : NULL;
	if (status != 200 || !code) {
		if (v)
			mbx_auth_oauth_error(v, why, sizeof why);
		snprintf(err, n, "cannot start device code sign-in for client '%s': %s", a->client, why);
		*exitcode = status ? MBX_EXIT_AUTH : *exitcode;
	} else {
		msg = mbx_json_str(v, "message");
		/* the one thing a person must read: not silenced by -q */
		fprintf(stderr, "%s: %s\n", mbx_progname, msg ? msg : "sign in with the device code");
		mbx_json_num(v, "interval", &interval);
		mbx_json_num(v, "expires_in", &expires);
		rc = poll_device(a, code, interval > 0 ? (long)interval : 5, (long)expires, exitcode,
				 err, n);
	}
	yajl_tree_free(v);
	return rc;
}
