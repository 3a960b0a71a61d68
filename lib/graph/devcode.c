/* devcode.c: the device code sign-in (RFC 8628, graph-api.md 2.4), for an app with no
 * secret or certificate; a refresh token saved in the cache is tried first. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "auth-int.h"

/* Poll the token endpoint until the user signs in (RFC 8628, graph-api.md 2.4). */
static int
poll_device(struct mbx_auth *a, const char *code, long interval, long expires,
	    struct mbx_err *e)
{
	time_t end = time(NULL) + expires;
	struct mbx_buf form;
	struct mbx_err w;              /* the answer's verdict and why */
	yajl_val v;
	long status;
	const char *oe;

	while (time(NULL) < end) {
		sleep((unsigned)interval);
		mbx_buf_init(&form, 0);
		mbx_auth_form_add(&form, "grant_type", "urn:ietf:params:oauth:grant-type:device_code");
		mbx_auth_form_add(&form, "client_id", a->client);
		mbx_auth_form_add(&form, "device_code", code);
		status = mbx_auth_post(a, "token", &form, &v, &w);
		mbx_buf_free(&form);
		if (status == 200) {
			int rc = mbx_auth_take(a, v, e->msg, sizeof e->msg);
			e->kind = rc ? MBX_ERR_AUTH : MBX_ERR_NONE;
			yajl_tree_free(v);
			return rc;
		}
		oe = v ? mbx_json_str(v, "error") : NULL;
		if (oe && strcmp(oe, "slow_down") == 0)
			interval += 5;
		if (!oe || (strcmp(oe, "authorization_pending") != 0 &&
			    strcmp(oe, "slow_down") != 0)) {
			if (v)
				mbx_auth_oauth_error(v, w.msg, sizeof w.msg);
			mbx_err_set(e, status ? MBX_ERR_AUTH : w.kind, NULL,
				    "device code sign-in for client '%s' failed: %s", a->client, w.msg);
			yajl_tree_free(v);
			return -1;
		}
		yajl_tree_free(v);
	}
	mbx_err_set(e, MBX_ERR_AUTH, NULL, "device code sign-in for client '%s' timed out",
		    a->client);
	return -1;
}

int
mbx_auth_device(struct mbx_auth *a, struct mbx_err *e)
{
	struct mbx_buf form;
	long long interval = 5, expires = 900;
	const char *code, *msg;
	struct mbx_err w;              /* the answer's verdict and why */
	yajl_val v;
	long status;
	int rc = -1;

	if (*a->refresh && mbx_auth_refresh(a, e) == 0)
		return 0;
	/* a sign-in nobody can see would wait for its whole lifetime (cron, CI): only on a
	 * terminal, or when MBX_AUTH=devicecode asks for it (mbx(7) AUTHENTICATION) */
	if (!(mbx_auth_env("MBX_AUTH") && strcmp(mbx_auth_env("MBX_AUTH"), "devicecode") == 0) &&
	    !isatty(STDERR_FILENO)) {
		mbx_err_set(e, MBX_ERR_AUTH, NULL, "no credentials for client '%s' and no terminal "
			    "for a device code sign-in: set AZURE_CLIENT_SECRET or "
			    "AZURE_CLIENT_CERTIFICATE_PATH, MBX_ACCESS_TOKEN or MBX_TOKEN_COMMAND, or "
			    "MBX_AUTH=devicecode to sign in anyway (see mbx(7))", a->client);
		return -1;
	}
	mbx_buf_init(&form, 0);
	mbx_auth_form_add(&form, "client_id", a->client);
	mbx_auth_form_add(&form, "scope", a->scope);
	status = mbx_auth_post(a, "devicecode", &form, &v, &w);
	mbx_buf_free(&form);
	code = v ? mbx_json_str(v, "device_code") : NULL;
	if (status != 200 || !code) {
		if (v)
			mbx_auth_oauth_error(v, w.msg, sizeof w.msg);
		mbx_err_set(e, status ? MBX_ERR_AUTH : w.kind, NULL,
			    "cannot start device code sign-in for client '%s': %s", a->client, w.msg);
	} else {
		msg = mbx_json_str(v, "message");
		/* the one thing a person must read: not silenced by -q */
		fprintf(stderr, "%s: %s\n", mbx_progname, msg ? msg : "sign in with the device code");
		mbx_json_num(v, "interval", &interval);
		mbx_json_num(v, "expires_in", &expires);
		rc = poll_device(a, code, interval > 0 ? (long)interval : 5, (long)expires, e);
	}
	yajl_tree_free(v);
	return rc;
}
