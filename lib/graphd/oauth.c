/* oauth.c: the emulator's identity platform (graph-api.md 2, 8.31-8.33): the token and
 * devicecode endpoints, HS256 access tokens, and their verification on every Graph call. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "oauth.h"
#include "jwt.h"

#define JTI_MEMORY 4096        /* assertion ids remembered against replay */
#define DEVICE_MAX 64
#define ASSERTION_MAX_LIFE 3600

struct device {
	char device_code[48], user_code[12], upn[256], client[64];
	time_t expires, last_poll;
	int state;                 /* 0 pending, 1 approved, 2 declined */
};

struct gd_oauth {
	pthread_mutex_t mu;
	struct gd_oauth_dir dir;
	unsigned char key[32];
	long lifetime;
	char *jti[JTI_MEMORY];
	size_t njti;
	struct device dev[DEVICE_MAX];
	size_t ndev;
};

static int
load_key(struct gd_oauth *o, const char *path, char *err, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t k = read(fd, o->key, sizeof o->key);
		close(fd);
		if (k == (ssize_t)sizeof o->key)
			return 0;
	}
	RAND_bytes(o->key, sizeof o->key);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, o->key, sizeof o->key) != (ssize_t)sizeof o->key) {
		snprintf(err, n, "cannot write signing key '%s'", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

struct gd_oauth *
gd_oauth_new(const struct gd_oauth_dir *dir, const char *key_path, long lifetime, char *err,
	     size_t n)
{
	struct gd_oauth *o = mbx_xcalloc(1, sizeof *o);

	pthread_mutex_init(&o->mu, NULL);
	o->dir = *dir;
	o->lifetime = lifetime > 0 ? lifetime : 3599;
	if (key_path ? load_key(o, key_path, err, n) < 0 : RAND_bytes(o->key, sizeof o->key) != 1) {
		free(o);
		return NULL;
	}
	return o;
}

void
gd_oauth_free(struct gd_oauth *o)
{
	size_t i;

	if (!o)
		return;
	for (i = 0; i < o->njti; i++)
		free(o->jti[i]);
	OPENSSL_cleanse(o->key, sizeof o->key);
	free(o);
}

void
gd_oauth_set_token_lifetime(struct gd_oauth *o, long seconds)
{
	pthread_mutex_lock(&o->mu);
	o->lifetime = seconds > 0 ? seconds : 1;
	pthread_mutex_unlock(&o->mu);
}

/* The error body of 2.5, with a real AADSTS number. Returns status. */
static int
oauth_err(struct mbx_buf *body, int status, const char *error, long aadsts, const char *text)
{
	struct mbx_jw w;
	char desc[600], ts[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%SZ", &tm);
	snprintf(desc, sizeof desc, "AADSTS%ld: %s", aadsts, text);
	mbx_buf_reset(body);
	mbx_jw_init(&w, body);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "error", error);
	mbx_jw_kstr(&w, "error_description", desc);
	mbx_jw_key(&w, "error_codes");
	mbx_jw_arr(&w);
	mbx_jw_int(&w, aadsts);
	mbx_jw_end(&w);
	mbx_jw_kstr(&w, "timestamp", ts);
	mbx_jw_kstr(&w, "trace_id", "00000000-0000-0000-0000-000000000000");
	mbx_jw_kstr(&w, "correlation_id", "00000000-0000-0000-0000-000000000000");
	mbx_jw_end(&w);
	return status;
}

/* An injected fault's answer at the token endpoints (mbx-graphd(1) FAULTS): the OAuth
 * error body with the error and AADSTS code such a status comes with. */
int
gd_oauth_fault(struct mbx_buf *body, int status)
{
	if (status == 401)
		return oauth_err(body, status, "invalid_client", 7000215,
				 "Invalid client secret provided (injected fault).");
	if (status == 429 || status >= 500)
		return oauth_err(body, status, "temporarily_unavailable", 90033,
				 "A transient error has occurred. Please try again (injected fault).");
	if (status == 403)
		return oauth_err(body, status, "unauthorized_client", 700016,
				 "The application is not allowed in this tenant (injected fault).");
	return oauth_err(body, status, "invalid_request", 900144,
			 "The request body must contain the expected parameters (injected fault).");
}

/* One form field, URL-decoded (malloc'd), or NULL. */
static char *
form_get(const char *form, size_t n, const char *key)
{
	size_t kl = strlen(key), i = 0;

	while (i < n) {
		size_t end = i;
		while (end < n && form[end] != '&')
			end++;
		if (end - i > kl && strncmp(form + i, key, kl) == 0 && form[i + kl] == '=')
			return mbx_url_unescape(form + i + kl + 1, end - i - kl - 1, 1);
		i = end + 1;
	}
	return NULL;
}

static int
tenant_ok(const struct gd_oauth *o, const char *tenant)
{
	return (o->dir.tenant_id && strcasecmp(tenant, o->dir.tenant_id) == 0) ||
	       (o->dir.tenant_domain && strcasecmp(tenant, o->dir.tenant_domain) == 0) ||
	       strcasecmp(tenant, "organizations") == 0;
}

/* A refresh token: signed like access tokens, marked "rt", valid for 90 days. */
static void
refresh_token(struct gd_oauth *o, const struct gd_oauth_app *app, const char *upn,
	      const char *scope, struct mbx_jw *out)
{
	struct mbx_buf claims, tok;
	struct mbx_jw w;

	mbx_buf_init(&claims, 0);
	mbx_jw_init(&w, &claims);
	mbx_jw_obj(&w);
	mbx_jw_key(&w, "rt");
	mbx_jw_bool(&w, 1);
	mbx_jw_kstr(&w, "appid", app->client_id);
	mbx_jw_kstr(&w, "upn", upn);
	mbx_jw_kstr(&w, "scp", scope);
	mbx_jw_kint(&w, "exp", (long long)time(NULL) + 90 * 86400);
	mbx_jw_end(&w);
	mbx_buf_init(&tok, 0);
	gd_jwt_issue(o->key, sizeof o->key, claims.data, &tok);
	mbx_jw_kstr(out, "refresh_token", tok.data);
	mbx_buf_free(&tok);
	mbx_buf_free(&claims);
}

/* An access token for app (and upn for delegated), as the 200 answer in body. */
static int
issue(struct gd_oauth *o, const struct gd_oauth_app *app, const char *upn,
      const char *scope, struct mbx_buf *body)
{
	struct mbx_buf claims, tok;
	struct mbx_jw w;
	time_t t = time(NULL);
	unsigned char uti[12];
	char utis[32];
	size_t i;

	RAND_bytes(uti, sizeof uti);
	snprintf(utis, sizeof utis, "%02x%02x%02x%02x%02x%02x%02x%02x", uti[0], uti[1], uti[2],
		 uti[3], uti[4], uti[5], uti[6], uti[7]);
	mbx_buf_init(&claims, 0);
	mbx_jw_init(&w, &claims);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "aud", "https://graph.microsoft.com");
	mbx_jw_kstr(&w, "iss", "https://sts.windows.net/mbx-graphd/");
	mbx_jw_kstr(&w, "tid", o->dir.tenant_id);
	mbx_jw_kstr(&w, "appid", app->client_id);
	mbx_jw_kint(&w, "iat", (long long)t);
	mbx_jw_kint(&w, "nbf", (long long)t);
	mbx_jw_kint(&w, "exp", (long long)(t + o->lifetime));
	mbx_jw_kstr(&w, "uti", utis);
	if (upn) {
		mbx_jw_kstr(&w, "upn", upn);
		mbx_jw_kstr(&w, "scp", scope);
	} else {
		mbx_jw_key(&w, "roles");
		mbx_jw_arr(&w);
		for (i = 0; i < app->nroles; i++)
			mbx_jw_str(&w, app->roles[i]);
		mbx_jw_end(&w);
	}
	mbx_jw_end(&w);
	mbx_buf_init(&tok, 0);
	gd_jwt_issue(o->key, sizeof o->key, claims.data, &tok);
	mbx_buf_reset(body);
	mbx_jw_init(&w, body);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "token_type", "Bearer");
	if (upn)
		mbx_jw_kstr(&w, "scope", scope);
	mbx_jw_kint(&w, "expires_in", o->lifetime);
	mbx_jw_kint(&w, "ext_expires_in", o->lifetime);
	mbx_jw_kstr(&w, "access_token", tok.data);
	if (upn)
		refresh_token(o, app, upn, scope, &w);
	mbx_jw_end(&w);
	mbx_buf_free(&tok);
	mbx_buf_free(&claims);
	return 200;
}

/* jti must never repeat (2.3). 0 new, -1 replayed. */
static int
jti_fresh(struct gd_oauth *o, const char *jti)
{
	size_t i;

	for (i = 0; i < o->njti; i++)
		if (strcmp(o->jti[i], jti) == 0)
			return -1;
	if (o->njti == JTI_MEMORY) {
		free(o->jti[0]);
		memmove(o->jti, o->jti + 1, (JTI_MEMORY - 1) * sizeof *o->jti);
		o->njti--;
	}
	o->jti[o->njti++] = mbx_strdup(jti);
	return 0;
}

/* The client assertion's claims (2.3). 0 ok, else an error answer in body. */
static int
check_claims(struct gd_oauth *o, const struct gd_jwt *j, const char *client, const char *aud,
	     struct mbx_buf *body)
{
	long long nbf = 0, exp = 0;
	time_t t = time(NULL);
	const char *a = mbx_json_str(j->claims, "aud"), *jti = mbx_json_str(j->claims, "jti");

	if (!a || strcmp(a, aud) != 0)
		return oauth_err(body, 400, "invalid_client", 50012,
				 "The audience claim of the client assertion is not the token endpoint.");
	if (!mbx_json_str(j->claims, "iss") || strcmp(mbx_json_str(j->claims, "iss"), client) ||
	    !mbx_json_str(j->claims, "sub") || strcmp(mbx_json_str(j->claims, "sub"), client))
		return oauth_err(body, 400, "invalid_client", 50012,
				 "The iss and sub claims of the client assertion must be the client id.");
	if (mbx_json_num(j->claims, "exp", &exp) < 0 || exp <= t ||
	    (mbx_json_num(j->claims, "nbf", &nbf) == 0 && nbf > t + 300))
		return oauth_err(body, 400, "invalid_client", 700024,
				 "Client assertion is not within its valid time range.");
	if (nbf && exp - nbf > ASSERTION_MAX_LIFE)
		return oauth_err(body, 400, "invalid_client", 700024,
				 "Client assertion lifetime is too long.");
	if (!jti || jti_fresh(o, jti) < 0)
		return oauth_err(body, 400, "invalid_client", 50013,
				 "Assertion failed signature validation or has been used before.");
	return 0;
}

static int
check_assertion(struct gd_oauth *o, const struct gd_oauth_app *app, const char *assertion,
		const char *tenant, const char *self, struct mbx_buf *body)
{
	struct gd_jwt j;
	const char *why;
	char aud[768];
	int rc;

	if (gd_jwt_split(assertion, &j) < 0)
		return oauth_err(body, 400, "invalid_client", 50027,
				 "Invalid JWT token: the client assertion is malformed.");
	if (!app->cert_pem || gd_jwt_verify_cert(assertion, &j, app->cert_pem, &why) < 0) {
		gd_jwt_free(&j);
		return oauth_err(body, 401, "invalid_client", 700027,
				 app->cert_pem ? why : "No certificate is registered for the app.");
	}
	snprintf(aud, sizeof aud, "%s/%s/oauth2/v2.0/token", self, tenant);
	rc = check_claims(o, &j, app->client_id, aud, body);
	gd_jwt_free(&j);
	return rc;
}

/* client_secret in the form, or HTTP Basic client_id:client_secret (RFC 6749 2.3.1). */
static char *
basic_secret(const char *authorization, const char *client)
{
	struct mbx_buf d;
	char *colon, *secret = NULL;

	if (!authorization || strncasecmp(authorization, "Basic ", 6) != 0)
		return NULL;
	mbx_buf_init(&d, 4096);
	if (mbx_b64_decode(&d, authorization + 6, strlen(authorization + 6)) == 0 && d.data &&
	    (colon = strchr(d.data, ':')) != NULL) {
		*colon = '\0';
		if (!client || strcmp(d.data, client) == 0)
			secret = mbx_url_unescape(colon + 1, strlen(colon + 1), 1);
	}
	mbx_buf_free(&d);
	return secret;
}

static int
client_credentials(struct gd_oauth *o, const struct gd_oauth_app *app, const char *form,
		   size_t n, const char *authorization, const char *tenant, const char *self,
		   struct mbx_buf *body)
{
	char *scope = form_get(form, n, "scope"), *secret = form_get(form, n, "client_secret");
	char *atype = form_get(form, n, "client_assertion_type");
	char *assertion = form_get(form, n, "client_assertion");
	int rc;

	if (!secret)
		secret = basic_secret(authorization, app->client_id);
	if (!scope || strcmp(scope, "https://graph.microsoft.com/.default") != 0)
		rc = oauth_err(body, 400, "invalid_scope", 70011,
			       "The provided value for the input parameter 'scope' is not valid.");
	else if (secret)
		rc = app->secret && strcmp(secret, app->secret) == 0 ? 0
			: oauth_err(body, 401, "invalid_client", 7000215,
				    "Invalid client secret provided.");
	else if (assertion && atype &&
		 strcmp(atype, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") == 0)
		rc = check_assertion(o, app, assertion, tenant, self, body);
	else
		rc = oauth_err(body, 401, "invalid_client", 7000218,
			       "The request body must contain 'client_assertion' or 'client_secret'.");
	if (rc == 0)
		rc = issue(o, app, NULL, NULL, body);
	if (secret)
		OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
	free(scope);
	free(atype);
	free(assertion);
	return rc;
}

static struct device *
device_by(struct gd_oauth *o, const char *device_code, const char *user_code)
{
	size_t i;

	for (i = 0; i < o->ndev; i++)
		if ((device_code && strcmp(o->dev[i].device_code, device_code) == 0) ||
		    (user_code && strcasecmp(o->dev[i].user_code, user_code) == 0))
			return &o->dev[i];
	return NULL;
}

static int
device_grant(struct gd_oauth *o, const struct gd_oauth_app *app, const char *form, size_t n,
	     struct mbx_buf *body)
{
	char *code = form_get(form, n, "device_code");
	struct device *d = code ? device_by(o, code, NULL) : NULL;
	time_t t = time(NULL);
	int rc;

	if (!d || strcmp(d->client, app->client_id) != 0)
		rc = oauth_err(body, 400, "bad_verification_code", 70019, "Verification code unknown.");
	else if (d->state == 2)
		rc = oauth_err(body, 400, "authorization_declined", 70000, "The user declined.");
	else if (t > d->expires)
		rc = oauth_err(body, 400, "expired_token", 70020, "The device code has expired.");
	else if (d->state == 0 && t - d->last_poll < 1)
		rc = oauth_err(body, 400, "slow_down", 70021, "Polling faster than the interval.");
	else if (d->state == 0)
		rc = oauth_err(body, 400, "authorization_pending", 70016,
			       "The user has not signed in yet.");
	else
		rc = issue(o, app, d->upn, "MailboxItem.ImportExport MailboxFolder.ReadWrite "
			   "User.Read", body);
	if (d)
		d->last_poll = t;
	free(code);
	return rc;
}

/* The claims of a token this emulator signed, or NULL with why. Caller frees j. */
static yajl_val
token_claims(struct gd_oauth *o, const char *tok, struct gd_jwt *j, char *why, size_t n)
{
	unsigned char mac[32];
	const char *alg;

	if (gd_jwt_split(tok, j) < 0) {
		snprintf(why, n, "IDX14100: JWT is not well formed.");
		return NULL;
	}
	alg = mbx_json_str(j->header, "alg");
	gd_jwt_hs256(o->key, sizeof o->key, tok, j->signed_len, mac);
	if (!alg || strcmp(alg, "HS256") != 0 || j->sig.len != sizeof mac ||
	    CRYPTO_memcmp(mac, j->sig.data, sizeof mac) != 0) {
		snprintf(why, n, "Signature validation failed.");
		gd_jwt_free(j);
		return NULL;
	}
	return j->claims;
}

static int
refresh_grant(struct gd_oauth *o, const struct gd_oauth_app *app, const char *form, size_t n,
	      struct mbx_buf *body)
{
	char *rt = form_get(form, n, "refresh_token"), why[200];
	struct gd_jwt j;
	yajl_val c = rt ? token_claims(o, rt, &j, why, sizeof why) : NULL;
	long long exp = 0;
	const char *upn = c ? mbx_json_str(c, "upn") : NULL, *appid = c ? mbx_json_str(c, "appid") : NULL;
	int rc;

	if (!c || !mbx_json_bool(c, "rt") || mbx_json_num(c, "exp", &exp) < 0 ||
	    exp <= time(NULL) || !upn || !appid || strcmp(appid, app->client_id) != 0)
		rc = oauth_err(body, 400, "invalid_grant", 70008, "The refresh token is invalid "
			       "or has expired.");
	else
		rc = issue(o, app, upn, mbx_json_str(c, "scp"), body);
	if (c)
		gd_jwt_free(&j);
	if (rt)
		OPENSSL_cleanse(rt, strlen(rt));
	free(rt);
	return rc;
}

int
gd_oauth_token(struct gd_oauth *o, const char *tenant, const char *form, size_t n,
	       const char *authorization, const char *self_url, struct mbx_buf *body)
{
	char *grant = form_get(form, n, "grant_type"), *client = form_get(form, n, "client_id");
	const struct gd_oauth_app *app;
	int rc;

	pthread_mutex_lock(&o->mu);
	app = client ? o->dir.find_app(o->dir.ctx, client) : NULL;
	if (!tenant_ok(o, tenant))
		rc = oauth_err(body, 400, "invalid_request", 90002, "Tenant not found.");
	else if (!grant)
		rc = oauth_err(body, 400, "invalid_request", 900144,
			       "The request body must contain the 'grant_type' parameter.");
	else if (!app)
		rc = oauth_err(body, 400, "unauthorized_client", 700016,
			       "Application was not found in the directory.");
	else if (strcmp(grant, "client_credentials") == 0)
		rc = client_credentials(o, app, form, n, authorization, tenant, self_url, body);
	else if (strcmp(grant, "urn:ietf:params:oauth:grant-type:device_code") == 0 &&
		 app->public_client)
		rc = device_grant(o, app, form, n, body);
	else if (strcmp(grant, "refresh_token") == 0 && app->public_client)
		rc = refresh_grant(o, app, form, n, body);
	else
		rc = oauth_err(body, 400, "unsupported_grant_type", 70003,
			       "The app does not support this grant type.");
	pthread_mutex_unlock(&o->mu);
	free(grant);
	free(client);
	return rc;
}

int
gd_oauth_devicecode(struct gd_oauth *o, const char *tenant, const char *form, size_t n,
		    const char *self_url, struct mbx_buf *body)
{
	char *client = form_get(form, n, "client_id");
	const struct gd_oauth_app *app;
	unsigned char r[24];
	struct device *d;
	struct mbx_jw w;
	char msg[512], uri[300];
	int i, rc = 200;
	static const char alpha[] = "BCDFGHJKLMNPQRSTVWXZ23456789";

	pthread_mutex_lock(&o->mu);
	app = client ? o->dir.find_app(o->dir.ctx, client) : NULL;
	if (!tenant_ok(o, tenant) || !app || !app->public_client) {
		rc = oauth_err(body, 400, app ? "invalid_client" : "unauthorized_client",
			       app ? 7000218 : 700016, app ? "The app does not allow public client "
			       "flows." : "Application was not found in the directory.");
		goto out;
	}
	d = &o->dev[o->ndev < DEVICE_MAX ? o->ndev++ : (size_t)(time(NULL) % DEVICE_MAX)];
	memset(d, 0, sizeof *d);
	RAND_bytes(r, sizeof r);
	for (i = 0; i < 16; i++)
		snprintf(d->device_code + 2 * i, 3, "%02x", r[i]);
	for (i = 0; i < 8; i++)
		d->user_code[i] = alpha[r[16 + i] % (sizeof alpha - 1)];
	mbx_strlcpy(d->client, client, sizeof d->client);
	d->expires = time(NULL) + 900;
	snprintf(msg, sizeof msg, "To sign in, use a web browser to open the page "
		 "%s/devicelogin and enter the code %s to authenticate.", self_url, d->user_code);
	mbx_buf_reset(body);
	mbx_jw_init(&w, body);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "device_code", d->device_code);
	mbx_jw_kstr(&w, "user_code", d->user_code);
	snprintf(uri, sizeof uri, "%s/devicelogin", self_url);
	mbx_jw_kstr(&w, "verification_uri", uri);
	mbx_jw_kint(&w, "expires_in", 900);
	mbx_jw_kint(&w, "interval", 1);     /* 5 in Entra; 1 keeps tests fast */
	mbx_jw_kstr(&w, "message", msg);
	mbx_jw_end(&w);
out:
	pthread_mutex_unlock(&o->mu);
	free(client);
	return rc;
}

int
gd_oauth_device_approve(struct gd_oauth *o, const char *user_code, const char *upn,
			int decline)
{
	struct device *d;
	int rc = -1;

	pthread_mutex_lock(&o->mu);
	d = device_by(o, NULL, user_code);
	if (d && d->state == 0 && (decline || o->dir.find_user(o->dir.ctx, upn))) {
		d->state = decline ? 2 : 1;
		mbx_strlcpy(d->upn, upn ? upn : "", sizeof d->upn);
		rc = 0;
	}
	pthread_mutex_unlock(&o->mu);
	return rc;
}

static void
join_roles(yajl_val arr, char *out, size_t n)
{
	size_t i, len = 0;

	*out = '\0';
	for (i = 0; arr && YAJL_IS_ARRAY(arr) && i < arr->u.array.len; i++)
		if (YAJL_IS_STRING(arr->u.array.values[i]) && len < n)
			len += (size_t)snprintf(out + len, n - len, "%s%s", len ? " " : "",
						arr->u.array.values[i]->u.string);
}

int
gd_oauth_verify(struct gd_oauth *o, const char *authorization, struct gd_oauth_principal *p,
		char *message, size_t n)
{
	struct gd_jwt j;
	yajl_val c;
	long long exp = 0, nbf = 0;
	time_t t = time(NULL);
	int rc = -1;

	memset(p, 0, sizeof *p);
	if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0) {
		snprintf(message, n, "Access token is empty.");
		return -1;
	}
	if (!(c = token_claims(o, authorization + 7, &j, message, n)))
		return -1;
	if (mbx_json_bool(c, "rt") || !mbx_json_str(c, "aud") ||
	    strcmp(mbx_json_str(c, "aud"), "https://graph.microsoft.com") != 0)
		snprintf(message, n, "Invalid audience.");
	else if (mbx_json_num(c, "exp", &exp) < 0 || exp <= t)
		snprintf(message, n, "Lifetime validation failed, the token is expired.");
	else if (mbx_json_num(c, "nbf", &nbf) == 0 && nbf > t + 300)
		snprintf(message, n, "Lifetime validation failed, the token is not yet valid.");
	else if (!mbx_json_str(c, "tid") || !o->dir.tenant_id ||
		 strcmp(mbx_json_str(c, "tid"), o->dir.tenant_id) != 0)
		snprintf(message, n, "The token is for another tenant.");
	else
		rc = 0;
	if (rc == 0) {
		mbx_strlcpy(p->tenant, mbx_json_str(c, "tid"), sizeof p->tenant);
		mbx_strlcpy(p->client_id, mbx_json_str(c, "appid") ? mbx_json_str(c, "appid") : "",
			    sizeof p->client_id);
		p->delegated = mbx_json_str(c, "upn") != NULL;
		if (p->delegated) {
			mbx_strlcpy(p->user, mbx_json_str(c, "upn"), sizeof p->user);
			mbx_strlcpy(p->roles, mbx_json_str(c, "scp") ? mbx_json_str(c, "scp") : "",
				    sizeof p->roles);
		} else {
			join_roles(mbx_json_get(c, "roles"), p->roles, sizeof p->roles);
		}
		p->exp = (time_t)exp;
	}
	gd_jwt_free(&j);
	return rc;
}

/* Whether p holds role: app roles exactly ("MailboxItem.Read.All"); delegated scopes
 * are the same names without ".All". */
int
gd_oauth_has(const struct gd_oauth_principal *p, const char *role)
{
	char want[128];
	size_t wl;
	const char *s = p->roles;

	mbx_strlcpy(want, role, sizeof want);
	wl = strlen(want);
	if (p->delegated && wl > 4 && strcmp(want + wl - 4, ".All") == 0)
		want[wl -= 4] = '\0';
	while (*s) {
		size_t k = strcspn(s, " ");
		if (k == wl && strncmp(s, want, wl) == 0)
			return 1;
		s += k + (s[k] == ' ');
	}
	return 0;
}

/* ---------------------------------------------------------------- import URLs */

/* The authtoken of an importUrl (graph-api.md 3.14): signed like our access tokens but
 * with its own audience, so neither can stand in for the other. */
void
gd_oauth_import_token(struct gd_oauth *o, const char *mailbox, const char *client,
		      time_t exp, struct mbx_buf *out)
{
	struct mbx_buf claims, tok;
	struct mbx_jw w;
	unsigned char uti[8];
	char utis[20];

	RAND_bytes(uti, sizeof uti);
	snprintf(utis, sizeof utis, "%02x%02x%02x%02x%02x%02x%02x%02x", uti[0], uti[1], uti[2],
		 uti[3], uti[4], uti[5], uti[6], uti[7]);
	mbx_buf_init(&claims, 0);
	mbx_jw_init(&w, &claims);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "aud", "importItem");
	mbx_jw_kstr(&w, "mbx", mailbox);
	mbx_jw_kstr(&w, "appid", client);
	mbx_jw_kint(&w, "exp", (long long)exp);
	mbx_jw_kstr(&w, "uti", utis);
	mbx_jw_end(&w);
	mbx_buf_init(&tok, 0);          /* gd_jwt_issue signs all of its buffer */
	gd_jwt_issue(o->key, sizeof o->key, claims.data, &tok);
	mbx_buf_append(out, tok.data, tok.len);
	mbx_buf_free(&tok);
	mbx_buf_free(&claims);
}

int
gd_oauth_import_verify(struct gd_oauth *o, const char *tok, const char *mailbox,
		       char *client, size_t cn, char *why, size_t n)
{
	struct gd_jwt j;
	yajl_val c;
	long long exp = 0;
	int rc = -1;

	if (!tok || !*tok) {
		snprintf(why, n, "The import URL has no authtoken.");
		return -1;
	}
	if (!(c = token_claims(o, tok, &j, why, n)))
		return -1;
	if (!mbx_json_str(c, "aud") || strcmp(mbx_json_str(c, "aud"), "importItem") != 0)
		snprintf(why, n, "The authtoken is not an import session token.");
	else if (!mbx_json_str(c, "mbx") || strcasecmp(mbx_json_str(c, "mbx"), mailbox) != 0)
		snprintf(why, n, "The authtoken belongs to another mailbox.");
	else if (mbx_json_num(c, "exp", &exp) < 0 || exp <= time(NULL))
		snprintf(why, n, "The import session has expired.");
	else
		rc = 0;
	if (rc == 0)
		mbx_strlcpy(client, mbx_json_str(c, "appid") ? mbx_json_str(c, "appid") : "", cn);
	gd_jwt_free(&j);
	return rc;
}
