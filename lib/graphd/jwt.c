/* jwt.c: compact JWS for the emulator: HS256 access tokens it issues and verifies, and
 * verification of RS256/PS256 client assertions against a registered certificate
 * (graph-api.md 2.3). */
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "graphd.h"
#include "jwt.h"

/* Split "h.p.s": decoded header and payload as trees, raw signature bytes, and the
 * signed part's length. 0, or -1 when it is not a compact JWS. */
int
gd_jwt_split(const char *jwt, struct gd_jwt *out)
{
	const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	struct mbx_buf h, p;

	memset(out, 0, sizeof *out);
	if (!d1 || !d2 || strchr(d2 + 1, '.'))
		return -1;
	mbx_buf_init(&h, 1 << 16);
	mbx_buf_init(&p, 1 << 16);
	mbx_buf_init(&out->sig, 4096);
	if (mbx_b64_decode(&h, jwt, (size_t)(d1 - jwt)) < 0 ||
	    mbx_b64_decode(&p, d1 + 1, (size_t)(d2 - d1 - 1)) < 0 ||
	    mbx_b64_decode(&out->sig, d2 + 1, strlen(d2 + 1)) < 0) {
		mbx_buf_free(&h);
		mbx_buf_free(&p);
		mbx_buf_free(&out->sig);
		return -1;
	}
	out->header = h.len ? mbx_json_parse(h.data, h.len, NULL, 0) : NULL;
	out->claims = p.len ? mbx_json_parse(p.data, p.len, NULL, 0) : NULL;
	out->signed_len = (size_t)(d2 - jwt);
	mbx_buf_free(&h);
	mbx_buf_free(&p);
	if (!YAJL_IS_OBJECT(out->header) || !YAJL_IS_OBJECT(out->claims)) {
		gd_jwt_free(out);
		return -1;
	}
	return 0;
}

void
gd_jwt_free(struct gd_jwt *j)
{
	yajl_tree_free(j->header);
	yajl_tree_free(j->claims);
	mbx_buf_free(&j->sig);
	memset(j, 0, sizeof *j);
}

void
gd_jwt_hs256(const unsigned char *key, size_t keylen, const char *data, size_t n,
	     unsigned char mac[32])
{
	unsigned int len = 32;

	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)data, n, mac, &len);
}

/* Sign claims (a JSON object text) with HS256 into out: a complete token. */
void
gd_jwt_issue(const unsigned char *key, size_t keylen, const char *claims, struct mbx_buf *out)
{
	static const char hdr[] = "{\"typ\":\"JWT\",\"alg\":\"HS256\"}";
	unsigned char mac[32];

	mbx_b64url_encode(out, hdr, sizeof hdr - 1);
	mbx_buf_putc(out, '.');
	mbx_b64url_encode(out, claims, strlen(claims));
	gd_jwt_hs256(key, keylen, out->data, out->len, mac);
	mbx_buf_putc(out, '.');
	mbx_b64url_encode(out, mac, sizeof mac);
}

/* The thumbprint a header names, base64url: x5t#S256 (SHA-256) or x5t (SHA-1). */
static int
thumb_matches(X509 *cert, yajl_val header)
{
	const char *s256 = mbx_json_str(header, "x5t#S256"), *s1 = mbx_json_str(header, "x5t");
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct mbx_buf b;
	int ok;

	if (!s256 && !s1)
		return 0;
	X509_digest(cert, s256 ? EVP_sha256() : EVP_sha1(), md, &mdlen);
	mbx_buf_init(&b, 0);
	mbx_b64url_encode(&b, md, mdlen);
	ok = strcmp(b.data, s256 ? s256 : s1) == 0;
	mbx_buf_free(&b);
	return ok;
}

/* 0 when the assertion's signature verifies with cert_pem; -1 with why. */
int
gd_jwt_verify_cert(const char *jwt, const struct gd_jwt *j, const char *cert_pem,
		   const char **why)
{
	const char *alg = mbx_json_str(j->header, "alg");
	BIO *bio = BIO_new_mem_buf(cert_pem, -1);
	X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	EVP_PKEY *key = cert ? X509_get_pubkey(cert) : NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ps = alg && strcmp(alg, "PS256") == 0, ok = 0;

	*why = "the assertion's certificate thumbprint is not registered for the app";
	if (!alg || (!ps && strcmp(alg, "RS256") != 0))
		*why = "unsupported assertion algorithm (RS256 or PS256)";
	else if (key && ctx && thumb_matches(cert, j->header) &&
		 EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, key) == 1 &&
		 (!ps || (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
			  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1 &&
			  EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1))) {
		ok = EVP_DigestVerify(ctx, (const unsigned char *)j->sig.data, j->sig.len,
				      (const unsigned char *)jwt, j->signed_len) == 1;
		if (!ok)
			*why = "the assertion's signature does not verify";
	}
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	X509_free(cert);
	BIO_free(bio);
	return ok ? 0 : -1;
}
