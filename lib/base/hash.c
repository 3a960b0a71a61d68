/* hash.c: hex SHA-256 (OpenSSL). */
#include <openssl/evp.h>
#include "base.h"

static void
to_hex(const unsigned char md[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

void
mbx_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL);
	to_hex(md, out);
}

/* The context is OpenSSL's, behind an opaque name so that callers need no OpenSSL. */
struct mbx_sha256 *
mbx_sha256_new(void)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		c = NULL;
	}
	return (struct mbx_sha256 *)c;
}

void
mbx_sha256_update(struct mbx_sha256 *h, const void *p, size_t n)
{
	EVP_DigestUpdate((EVP_MD_CTX *)h, p, n);
}

void
mbx_sha256_final(struct mbx_sha256 *h, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_DigestFinal_ex((EVP_MD_CTX *)h, md, &mdlen);
	EVP_MD_CTX_free((EVP_MD_CTX *)h);
	to_hex(md, out);
}
