/* assertion.c: the signed client assertion of certificate credentials (graph-api.md 2.3):
 * the key and certificate from one PEM, a JWT signed PS256 or RS256. Bare section
 * numbers are those of docs/graph-api.md. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "auth-int.h"

/* The key must not be readable by others, like ssh's private keys. */
int
mbx_auth_refuse_open_key(const char *path, const struct stat *st, char *err, size_t n)
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
	const char *pass = mbx_auth_env("AZURE_CLIENT_CERTIFICATE_PASSWORD");
	struct stat st;
	FILE *f = fopen(path, "r");

	*key = NULL;
	*cert = NULL;
	if (!f) {
		snprintf(err, n, "cannot open certificate '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && mbx_auth_refuse_open_key(path, &st, err, n) < 0) {
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
