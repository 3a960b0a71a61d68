/* tokenreq.c: requests to the identity platform's token endpoint (graph-api.md 2):
 * the form, the answer, the client credentials grant (secret or certificate assertion)
 * and the refresh grant. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>
#include "auth-int.h"

void
mbx_auth_form_add(struct mbx_buf *b, const char *k, const char *v)
{
	if (b->len)
		mbx_buf_putc(b, '&');
	mbx_buf_puts(b, k);
	mbx_buf_putc(b, '=');
	mbx_url_escape(b, v);
}

static void
endpoint(const struct mbx_auth *a, const char *what, struct mbx_buf *url)
{
	mbx_buf_printf(url, "%s/", a->authority);
	mbx_url_escape(url, a->tenant);
	mbx_buf_printf(url, "/oauth2/v2.0/%s", what);
}

/* POST the form; the parsed JSON answer (any status) in *out. Returns the status,
 * or 0 with e set when there was no usable answer; e's kind is set in every case (the
 * engine's verdict on the request). */
long
mbx_auth_post(struct mbx_auth *a, const char *what, struct mbx_buf *form, yajl_val *out,
	      struct mbx_err *e)
{
	struct mbx_buf url;
	struct mbx_req *r;
	long status;

	mbx_buf_init(&url, 0);
	endpoint(a, what, &url);
	r = mbx_req_new("POST", url.data);
	mbx_buf_free(&url);
	r->ctype = "application/x-www-form-urlencoded";
	r->flags = MBX_REQ_NOAUTH;
	mbx_buf_append(&r->body, form->data, form->len);
	OPENSSL_cleanse(form->data, form->len);
	status = mbx_http_perform_apart(a->http, r);       /* never re-enters a->http */
	OPENSSL_cleanse(r->body.data, r->body.len);
	*out = r->resp.len ? mbx_json_parse(r->resp.data, r->resp.len, NULL, 0) : NULL;
	mbx_err_clear(e);
	e->kind = mbx_http_err_kind(r);
	if (!*out && status != 0)
		snprintf(e->msg, sizeof e->msg, "%ld %s from the token endpoint", status,
			 "(no JSON)");
	else if (status == 0)
		mbx_strlcpy(e->msg, r->errmsg, sizeof e->msg);
	if (r->resp.data)
		OPENSSL_cleanse(r->resp.data, r->resp.len);
	mbx_req_free(r);
	return *out ? status : 0;
}

/* "invalid_client: AADSTS7000215: Invalid client secret provided." - the first sentence. */
void
mbx_auth_oauth_error(yajl_val v, char *out, size_t n)
{
	const char *e = mbx_json_str(v, "error"), *d = mbx_json_str(v, "error_description");
	char desc[300];
	size_t i;

	mbx_strlcpy(desc, d ? d : "", sizeof desc);
	for (i = 0; desc[i]; i++)
		if (desc[i] == '\r' || desc[i] == '\n' || (desc[i] == '.' && desc[i + 1] == ' ')) {
			desc[i + (desc[i] == '.')] = '\0';
			break;
		}
	snprintf(out, n, "%s%s%s", e ? e : "error", *desc ? ": " : "", desc);
}

/* Take access_token/expires_in/refresh_token from a 200 answer. */
int
mbx_auth_take(struct mbx_auth *a, yajl_val v, char *err, size_t n)
{
	const char *t = mbx_json_str(v, "access_token");
	long long exp = 3599;
	yajl_val e = mbx_json_get(v, "expires_in");

	if (!t || strlen(t) >= sizeof a->token) {
		snprintf(err, n, "no usable access_token in the token endpoint's answer");
		return -1;
	}
	if (e && YAJL_IS_STRING(e))         /* some endpoints send it as a string */
		mbx_parse_long(e->u.string, 1, 86400 * 30, (long *)&exp);
	else
		mbx_json_num(v, "expires_in", &exp);
	mbx_strlcpy(a->token, t, sizeof a->token);
	a->expires = time(NULL) + (time_t)exp;
	if (mbx_json_str(v, "refresh_token"))
		mbx_strlcpy(a->refresh, mbx_json_str(v, "refresh_token"), sizeof a->refresh);
	return 0;
}

/* One token request; on failure err names the client and the service's reason. */
static int
token_request(struct mbx_auth *a, struct mbx_buf *form, struct mbx_err *e)
{
	struct mbx_err w;              /* the answer's verdict and why, for e's message */
	yajl_val v;
	long status = mbx_auth_post(a, "token", form, &v, &w);
	int rc = -1;

	if (status == 200) {
		rc = mbx_auth_take(a, v, w.msg, sizeof w.msg);
		w.kind = rc ? MBX_ERR_AUTH : MBX_ERR_NONE;
	} else if (status) {
		mbx_auth_oauth_error(v, w.msg, sizeof w.msg);
		w.kind = MBX_ERR_AUTH;
	}
	if (rc)
		mbx_err_set(e, w.kind, NULL, "cannot get a token for client '%s': %s", a->client,
			    w.msg);
	yajl_tree_free(v);
	return rc;
}

int
mbx_auth_client_credentials(struct mbx_auth *a, struct mbx_err *e)
{
	struct mbx_buf form, aud;
	int rc;

	mbx_buf_init(&form, 0);
	mbx_auth_form_add(&form, "client_id", a->client);
	mbx_auth_form_add(&form, "scope", a->scope);
	mbx_auth_form_add(&form, "grant_type", "client_credentials");
	if (a->src == SRC_SECRET) {
		mbx_auth_form_add(&form, "client_secret", mbx_auth_env("AZURE_CLIENT_SECRET"));
	} else {
		struct mbx_buf jwt;
		mbx_buf_init(&aud, 0);
		endpoint(a, "token", &aud);
		mbx_buf_init(&jwt, 0);
		rc = mbx_auth_jwt_assertion(mbx_auth_env("AZURE_CLIENT_CERTIFICATE_PATH"), a->client,
					    aud.data, mbx_auth_env("MBX_JWT_ALG"), 600, &jwt, e->msg,
					    sizeof e->msg);
		mbx_buf_free(&aud);
		if (rc < 0) {
			mbx_buf_free(&jwt);
			mbx_buf_free(&form);
			e->kind = MBX_ERR_AUTH;
			return -1;
		}
		mbx_auth_form_add(&form, "client_assertion_type",
			 "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
		mbx_auth_form_add(&form, "client_assertion", jwt.data);
		mbx_buf_free(&jwt);
	}
	rc = token_request(a, &form, e);
	mbx_buf_free(&form);
	return rc;
}

int
mbx_auth_refresh(struct mbx_auth *a, struct mbx_err *e)
{
	struct mbx_buf form;
	int rc;

	mbx_buf_init(&form, 0);
	mbx_auth_form_add(&form, "client_id", a->client);
	mbx_auth_form_add(&form, "grant_type", "refresh_token");
	mbx_auth_form_add(&form, "refresh_token", a->refresh);
	mbx_auth_form_add(&form, "scope", a->scope);
	rc = token_request(a, &form, e);
	mbx_buf_free(&form);
	return rc;
}
