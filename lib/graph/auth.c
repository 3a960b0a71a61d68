/* auth.c: bearer tokens for Graph (graph-api.md 2). Sources in order: MBX_ACCESS_TOKEN,
 * MBX_TOKEN_COMMAND, client secret, certificate (signed JWT client assertion), device code.
 * Fetched tokens are cached per tenant+client under $XDG_CACHE_HOME/mbx/, 0600, under a
 * file lock, so the processes of one pipeline share one token. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "mbx.h"

#define GRAPH_SCOPE "https://graph.microsoft.com/.default"
#define DELEGATED_SCOPES "https://graph.microsoft.com/MailboxItem.ImportExport " \
	"https://graph.microsoft.com/MailboxFolder.ReadWrite https://graph.microsoft.com/User.Read " \
	"offline_access"
#define STALE_MARGIN 300       /* refresh this long before expiry */
#define TOKEN_MAX 16384

enum source { SRC_STATIC, SRC_COMMAND, SRC_SECRET, SRC_CERT, SRC_DEVICE };
static const char *const source_names[] = {
	"MBX_ACCESS_TOKEN", "MBX_TOKEN_COMMAND", "client secret", "certificate", "device code"
};

struct mbx_auth {
	struct mbx_http *http;
	enum source src;
	char tenant[256], client[128], authority[512], scope[1024];
	char token[TOKEN_MAX];
	char refresh[TOKEN_MAX];
	time_t expires;
	char cache[4096];          /* cache file path, "" for none */
	int last_exit;             /* exit code of the last failure */
};

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

const char *
mbx_auth_source(const struct mbx_auth *a)
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
	if (env("MBX_ACCESS_TOKEN")) {
		a->src = SRC_STATIC;
		return 0;
	}
	if (env("MBX_TOKEN_COMMAND")) {
		a->src = SRC_COMMAND;
		return 0;
	}
	if (!env("AZURE_TENANT_ID") || !env("AZURE_CLIENT_ID")) {
		snprintf(err, n, "no credentials: set MBX_ACCESS_TOKEN, MBX_TOKEN_COMMAND, or "
			 "AZURE_TENANT_ID and AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or "
			 "AZURE_CLIENT_CERTIFICATE_PATH (see mbx(7))");
		return -1;
	}
	if (env("MBX_AUTH") && strcmp(env("MBX_AUTH"), "devicecode") == 0)
		a->src = SRC_DEVICE;
	else if (env("AZURE_CLIENT_SECRET"))
		a->src = SRC_SECRET;
	else if (env("AZURE_CLIENT_CERTIFICATE_PATH"))
		a->src = SRC_CERT;
	else
		a->src = SRC_DEVICE;
	return 0;
}

/* ---------------------------------------------------------------- the cache */

/* $XDG_CACHE_HOME/mbx/token-<sha256(authority tenant client scope)>.json */
static void
cache_path(struct mbx_auth *a)
{
	const char *base = env("XDG_CACHE_HOME"), *home = env("HOME");
	struct mbx_buf key;
	char hex[65], dir[3072];

	if (base)
		snprintf(dir, sizeof dir, "%s/mbx", base);
	else if (home)
		snprintf(dir, sizeof dir, "%s/.cache/mbx", home);
	else
		return;
	mbx_buf_init(&key, 0);
	mbx_buf_printf(&key, "%s\n%s\n%s\n%s\n%d", a->authority, a->tenant, a->client, a->scope,
		       a->src == SRC_DEVICE);
	mbx_sha256_hex(key.data, key.len, hex);
	mbx_buf_free(&key);
	snprintf(a->cache, sizeof a->cache, "%s/token-%.32s.json", dir, hex);
}

static int
mkdirs(const char *file)
{
	char d[4096], *s;

	mbx_strlcpy(d, file, sizeof d);
	for (s = d + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(d, 0700) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return 0;
}

/* A cache another user could read is a leaked token: refuse it. */
static int
check_private(int fd, const char *path, char *err, size_t n)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		snprintf(err, n, "refusing token cache '%s': mode %03o, owner %u (must be 0600 "
			 "and yours)", path, (unsigned)(st.st_mode & 0777), (unsigned)st.st_uid);
		return -1;
	}
	return 0;
}

static int
lock_cache(struct mbx_auth *a, char *err, size_t n)
{
	char lock[4200];
	int fd;

	snprintf(lock, sizeof lock, "%s.lock", a->cache);
	if (mkdirs(lock) < 0 || (fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, n, "cannot open token cache lock '%s': %s", lock, strerror(errno));
		return -1;
	}
	if (check_private(fd, lock, err, n) < 0 || flock(fd, LOCK_EX) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
unlock_cache(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

/* 1 a fresh token was read, 0 none usable, -1 refused (err). */
static int
read_cache(struct mbx_auth *a, char *err, size_t n)
{
	char buf[3 * TOKEN_MAX];
	ssize_t k;
	long long exp = 0;
	yajl_val v;
	int fd = open(a->cache, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (check_private(fd, a->cache, err, n) < 0) {
		close(fd);
		return -1;
	}
	k = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (k <= 0)
		return 0;
	v = mbx_json_parse(buf, (size_t)k, NULL, 0);
	OPENSSL_cleanse(buf, sizeof buf);
	if (!v)
		return 0;
	if (mbx_json_str(v, "refresh_token"))
		mbx_strlcpy(a->refresh, mbx_json_str(v, "refresh_token"), sizeof a->refresh);
	if (mbx_json_str(v, "access_token") && mbx_json_num(v, "expires_on", &exp) == 0) {
		mbx_strlcpy(a->token, mbx_json_str(v, "access_token"), sizeof a->token);
		a->expires = (time_t)exp;
	}
	yajl_tree_free(v);
	return *a->token && a->expires - STALE_MARGIN > time(NULL);
}

static void
write_cache(struct mbx_auth *a)
{
	char tmp[4200];
	struct mbx_buf b;
	struct mbx_jw w;
	int fd, ok;

	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", a->cache, (long)getpid());
	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "access_token", a->token);
	mbx_jw_kint(&w, "expires_on", (long long)a->expires);
	if (*a->refresh)
		mbx_jw_kstr(&w, "refresh_token", a->refresh);
	mbx_jw_end(&w);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ok = fd >= 0 && write(fd, b.data, b.len) == (ssize_t)b.len;
	if (fd >= 0 && close(fd) < 0)
		ok = 0;
	if (!ok || rename(tmp, a->cache) < 0) {
		mbx_warn("cannot write token cache '%s': %s", a->cache, strerror(errno));
		unlink(tmp);
	}
	OPENSSL_cleanse(b.data, b.len);
	mbx_buf_free(&b);
}

/* ---------------------------------------------------------------- the token endpoint */

static void
form_add(struct mbx_buf *b, const char *k, const char *v)
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
 * or 0 with err when there was no usable answer. */
static long
post_form(struct mbx_auth *a, const char *what, struct mbx_buf *form, yajl_val *out,
	  int *exitcode, char *err, size_t n)
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
	*exitcode = mbx_http_exit_code(r);
	if (!*out && status != 0)
		snprintf(err, n, "%ld %s from the token endpoint", status, "(no JSON)");
	else if (status == 0)
		mbx_strlcpy(err, r->errmsg, n);
	if (r->resp.data)
		OPENSSL_cleanse(r->resp.data, r->resp.len);
	mbx_req_free(r);
	return *out ? status : 0;
}

/* "invalid_client: AADSTS7000215: Invalid client secret provided." - the first sentence. */
static void
oauth_error(yajl_val v, char *out, size_t n)
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
static int
take_token(struct mbx_auth *a, yajl_val v, char *err, size_t n)
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
token_request(struct mbx_auth *a, struct mbx_buf *form, int *exitcode, char *err, size_t n)
{
	char why[400];
	yajl_val v;
	long status = post_form(a, "token", form, &v, exitcode, why, sizeof why);
	int rc = -1;

	if (status == 200) {
		rc = take_token(a, v, why, sizeof why);
		*exitcode = rc ? MBX_EXIT_AUTH : 0;
	} else if (status) {
		oauth_error(v, why, sizeof why);
		*exitcode = MBX_EXIT_AUTH;
	}
	if (rc)
		snprintf(err, n, "cannot get a token for client '%s': %s", a->client, why);
	yajl_tree_free(v);
	return rc;
}

/* ---------------------------------------------------------------- certificates */

/* The key must not be readable by others, like ssh's private keys. */
static int
refuse_open_key(const char *path, const struct stat *st, char *err, size_t n)
{
	if (!(st->st_mode & 077))
		return 0;
	snprintf(err, n, "refusing certificate '%s': mode %03o lets others read the key "
		 "(chmod 600)", path, (unsigned)(st->st_mode & 0777));
	return -1;
}

/* The PEM must hold the private key and the certificate. */
static int
load_cert(const char *path, EVP_PKEY **key, X509 **cert, char *err, size_t n)
{
	const char *pass = env("AZURE_CLIENT_CERTIFICATE_PASSWORD");
	struct stat st;
	FILE *f = fopen(path, "r");

	*key = NULL;
	*cert = NULL;
	if (!f) {
		snprintf(err, n, "cannot open certificate '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && refuse_open_key(path, &st, err, n) < 0) {
		fclose(f);
		return -1;
	}
	/* never OpenSSL's prompt on the terminal: no passphrase set is an empty one */
	*key = PEM_read_PrivateKey(f, NULL, NULL, (void *)(pass ? pass : ""));
	rewind(f);
	*cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!*key || !*cert) {
		snprintf(err, n, "certificate '%s' must hold a PEM private key and certificate%s",
			 path, pass ? "" : " (set AZURE_CLIENT_CERTIFICATE_PASSWORD if encrypted)");
		EVP_PKEY_free(*key);
		X509_free(*cert);
		return -1;
	}
	return 0;
}

/* base64url(json) appended to out. */
static void
b64url_json(struct mbx_buf *out, struct mbx_buf *json)
{
	mbx_b64url_encode(out, json->data, json->len);
	mbx_buf_free(json);
}

static void
jwt_header(struct mbx_buf *out, X509 *cert, int ps256)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct mbx_buf h, thumb;
	struct mbx_jw w;

	/* PS256 names the certificate by its SHA-256 thumbprint, RS256 by SHA-1 (2.3) */
	X509_digest(cert, ps256 ? EVP_sha256() : EVP_sha1(), md, &mdlen);
	mbx_buf_init(&thumb, 0);
	mbx_b64url_encode(&thumb, md, mdlen);
	mbx_buf_init(&h, 0);
	mbx_jw_init(&w, &h);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "alg", ps256 ? "PS256" : "RS256");
	mbx_jw_kstr(&w, "typ", "JWT");
	mbx_jw_kstr(&w, ps256 ? "x5t#S256" : "x5t", thumb.data);
	mbx_jw_end(&w);
	mbx_buf_free(&thumb);
	b64url_json(out, &h);
}

static void
jwt_claims(struct mbx_buf *out, const char *client, const char *aud, long exp_offset)
{
	unsigned char rnd[16];
	char jti[40];
	struct mbx_buf c;
	struct mbx_jw w;
	time_t t = time(NULL);

	RAND_bytes(rnd, sizeof rnd);
	rnd[6] = (rnd[6] & 0x0f) | 0x40;   /* a version 4 UUID */
	rnd[8] = (rnd[8] & 0x3f) | 0x80;
	snprintf(jti, sizeof jti, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], rnd[8], rnd[9],
		 rnd[10], rnd[11], rnd[12], rnd[13], rnd[14], rnd[15]);
	mbx_buf_init(&c, 0);
	mbx_jw_init(&w, &c);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "aud", aud);
	mbx_jw_kstr(&w, "iss", client);
	mbx_jw_kstr(&w, "sub", client);
	mbx_jw_kstr(&w, "jti", jti);
	mbx_jw_kint(&w, "nbf", (long long)t);
	mbx_jw_kint(&w, "iat", (long long)t);
	mbx_jw_kint(&w, "exp", (long long)t + exp_offset);
	mbx_jw_end(&w);
	b64url_json(out, &c);
}

static int
jwt_sign(struct mbx_buf *jwt, EVP_PKEY *key, int ps256)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char sig[1024];
	size_t siglen = sizeof sig;
	int ok;

	ok = ctx && EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key) == 1;
	if (ok && ps256)   /* RFC 7518 3.5: MGF1 with SHA-256, salt as long as the hash */
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1;
	ok = ok && EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)jwt->data, jwt->len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	mbx_buf_putc(jwt, '.');
	mbx_b64url_encode(jwt, sig, siglen);
	return 0;
}

int
mbx_auth_jwt_assertion(const char *pem, const char *client, const char *aud, const char *alg,
		       long exp_offset, struct mbx_buf *out, char *err, size_t n)
{
	EVP_PKEY *key;
	X509 *cert;
	int ps256 = !alg || strcmp(alg, "RS256") != 0, rc;

	if (load_cert(pem, &key, &cert, err, n) < 0)
		return -1;
	jwt_header(out, cert, ps256);
	mbx_buf_putc(out, '.');
	jwt_claims(out, client, aud, exp_offset);
	rc = jwt_sign(out, key, ps256);
	if (rc < 0)
		snprintf(err, n, "cannot sign the client assertion with '%s'", pem);
	EVP_PKEY_free(key);
	X509_free(cert);
	return rc;
}

/* ---------------------------------------------------------------- the sources */

static int
fetch_client_credentials(struct mbx_auth *a, int *exitcode, char *err, size_t n)
{
	struct mbx_buf form, aud;
	int rc;

	mbx_buf_init(&form, 0);
	form_add(&form, "client_id", a->client);
	form_add(&form, "scope", a->scope);
	form_add(&form, "grant_type", "client_credentials");
	if (a->src == SRC_SECRET) {
		form_add(&form, "client_secret", env("AZURE_CLIENT_SECRET"));
	} else {
		struct mbx_buf jwt;
		mbx_buf_init(&aud, 0);
		endpoint(a, "token", &aud);
		mbx_buf_init(&jwt, 0);
		rc = mbx_auth_jwt_assertion(env("AZURE_CLIENT_CERTIFICATE_PATH"), a->client,
					    aud.data, env("MBX_JWT_ALG"), 600, &jwt, err, n);
		mbx_buf_free(&aud);
		if (rc < 0) {
			mbx_buf_free(&jwt);
			mbx_buf_free(&form);
			*exitcode = MBX_EXIT_AUTH;
			return -1;
		}
		form_add(&form, "client_assertion_type",
			 "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
		form_add(&form, "client_assertion", jwt.data);
		mbx_buf_free(&jwt);
	}
	rc = token_request(a, &form, exitcode, err, n);
	mbx_buf_free(&form);
	return rc;
}

static int
fetch_refresh(struct mbx_auth *a, int *exitcode, char *err, size_t n)
{
	struct mbx_buf form;
	int rc;

	mbx_buf_init(&form, 0);
	form_add(&form, "client_id", a->client);
	form_add(&form, "grant_type", "refresh_token");
	form_add(&form, "refresh_token", a->refresh);
	form_add(&form, "scope", a->scope);
	rc = token_request(a, &form, exitcode, err, n);
	mbx_buf_free(&form);
	return rc;
}

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
		form_add(&form, "grant_type", "urn:ietf:params:oauth:grant-type:device_code");
		form_add(&form, "client_id", a->client);
		form_add(&form, "device_code", code);
		status = post_form(a, "token", &form, &v, exitcode, why, sizeof why);
		mbx_buf_free(&form);
		if (status == 200) {
			int rc = take_token(a, v, err, n);
			yajl_tree_free(v);
			return rc;
		}
		e = v ? mbx_json_str(v, "error") : NULL;
		if (e && strcmp(e, "slow_down") == 0)
			interval += 5;
		if (!e || (strcmp(e, "authorization_pending") != 0 && strcmp(e, "slow_down") != 0)) {
			if (v)
				oauth_error(v, why, sizeof why);
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

static int
fetch_device(struct mbx_auth *a, int *exitcode, char *err, size_t n)
{
	struct mbx_buf form;
	long long interval = 5, expires = 900;
	const char *code, *msg;
	char why[400];
	yajl_val v;
	long status;
	int rc = -1;

	if (*a->refresh && fetch_refresh(a, exitcode, err, n) == 0)
		return 0;
	/* a sign-in nobody can see would wait for its whole lifetime (cron, CI): only on a
	 * terminal, or when MBX_AUTH=devicecode asks for it (mbx(7) AUTHENTICATION) */
	if (!(env("MBX_AUTH") && strcmp(env("MBX_AUTH"), "devicecode") == 0) &&
	    !isatty(STDERR_FILENO)) {
		*exitcode = MBX_EXIT_AUTH;
		snprintf(err, n, "no credentials for client '%s' and no terminal for a device code "
			 "sign-in: set AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH, "
			 "MBX_ACCESS_TOKEN or MBX_TOKEN_COMMAND, or MBX_AUTH=devicecode to sign in "
			 "anyway (see mbx(7))", a->client);
		return -1;
	}
	mbx_buf_init(&form, 0);
	form_add(&form, "client_id", a->client);
	form_add(&form, "scope", a->scope);
	status = post_form(a, "devicecode", &form, &v, exitcode, why, sizeof why);
	mbx_buf_free(&form);
	code = v ? mbx_json_str(v, "device_code") : NULL;
	if (status != 200 || !code) {
		if (v)
			oauth_error(v, why, sizeof why);
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

/* MBX_TOKEN_COMMAND: its first line of output, bounded. */
static int
run_command(struct mbx_auth *a, char *err, size_t n)
{
	const char *cmd = env("MBX_TOKEN_COMMAND");
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
fetch(struct mbx_auth *a, int *exitcode, char *err, size_t n)
{
	mbx_debug("getting a token (%s)", mbx_auth_source(a));
	if (a->src == SRC_DEVICE)
		return fetch_device(a, exitcode, err, n);
	return fetch_client_credentials(a, exitcode, err, n);
}

/* Fetch under the cache lock: the first process of a pipeline fetches, the others find
 * its token in the cache when they get the lock. */
static int
fetch_cached(struct mbx_auth *a, int force, int *exitcode, char *err, size_t n)
{
	int fd = -1, rc;

	if (*a->cache && (fd = lock_cache(a, err, n)) < 0)
		return -1;
	rc = *a->cache ? read_cache(a, err, n) : 0;
	if (rc < 0) {
		unlock_cache(fd);
		return -1;
	}
	if (rc == 0 || force) {
		OPENSSL_cleanse(a->token, sizeof a->token);
		rc = fetch(a, exitcode, err, n);
		if (rc == 0 && *a->cache)
			write_cache(a);
	} else {
		rc = 0;
	}
	unlock_cache(fd);
	return rc;
}

const char *
mbx_auth_token(struct mbx_auth *a, int force, char *err, size_t n)
{
	int rc = 0;

	a->last_exit = MBX_EXIT_AUTH;
	if (a->src == SRC_STATIC) {
		if (force) {
			snprintf(err, n, "the service refused MBX_ACCESS_TOKEN");
			return NULL;
		}
		return env("MBX_ACCESS_TOKEN");
	}
	if (!force && *a->token && a->expires - STALE_MARGIN > time(NULL))
		return a->token;
	if (a->src == SRC_COMMAND)
		rc = run_command(a, err, n);
	else
		rc = fetch_cached(a, force, &a->last_exit, err, n);
	return rc == 0 ? a->token : NULL;
}

int
mbx_auth_exit_code(const struct mbx_auth *a)
{
	return a->last_exit ? a->last_exit : MBX_EXIT_AUTH;
}

struct mbx_auth *
mbx_auth_new(struct mbx_http *http, char *err, size_t n)
{
	struct mbx_auth *a = mbx_xcalloc(1, sizeof *a);
	const char *auth = env("AZURE_AUTHORITY_HOST");
	struct stat st;
	size_t len;

	a->http = http;
	if (pick_source(a, err, n) < 0) {
		free(a);
		return NULL;
	}
	/* at once, not only when a token is fetched: a cached token must not hide it */
	if (a->src == SRC_CERT && stat(env("AZURE_CLIENT_CERTIFICATE_PATH"), &st) == 0 &&
	    refuse_open_key(env("AZURE_CLIENT_CERTIFICATE_PATH"), &st, err, n) < 0) {
		free(a);
		return NULL;
	}
	mbx_strlcpy(a->tenant, env("AZURE_TENANT_ID") ? env("AZURE_TENANT_ID") : "", sizeof a->tenant);
	mbx_strlcpy(a->client, env("AZURE_CLIENT_ID") ? env("AZURE_CLIENT_ID") : "", sizeof a->client);
	mbx_strlcpy(a->authority, auth ? auth : "https://login.microsoftonline.com",
		    sizeof a->authority);
	len = strlen(a->authority);
	while (len > 0 && a->authority[len - 1] == '/')
		a->authority[--len] = '\0';
	mbx_strlcpy(a->scope, a->src == SRC_DEVICE ? (env("MBX_SCOPES") ? env("MBX_SCOPES")
		    : DELEGATED_SCOPES) : GRAPH_SCOPE, sizeof a->scope);
	if (a->src >= SRC_SECRET)
		cache_path(a);
	return a;
}
