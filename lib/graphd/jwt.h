/* jwt.h: compact JWS helpers of the emulator (jwt.c). */
#ifndef GRAPHD_JWT_H
#define GRAPHD_JWT_H
#include "base.h"

struct gd_jwt {
	yajl_val header, claims;
	struct mbx_buf sig;
	size_t signed_len;         /* bytes of "header.payload" */
};
int gd_jwt_split(const char *jwt, struct gd_jwt *out);
void gd_jwt_free(struct gd_jwt *j);
void gd_jwt_hs256(const unsigned char *key, size_t keylen, const char *data, size_t n,
		  unsigned char mac[32]);
void gd_jwt_issue(const unsigned char *key, size_t keylen, const char *claims,
		  struct mbx_buf *out);
int gd_jwt_verify_cert(const char *jwt, const struct gd_jwt *j, const char *cert_pem,
		       const char **why);
#endif
