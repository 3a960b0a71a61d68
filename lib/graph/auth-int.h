/* auth-int.h: what the files of the token sources share (lib/graph: auth.c the sources
 * and policy, tokcache.c the cache, tokenreq.c the token endpoint, assertion.c the
 * certificate's client assertion, devcode.c the device code sign-in). Private to them. */
#ifndef MBX_AUTH_INT_H
#define MBX_AUTH_INT_H

#include <sys/stat.h>
#include <time.h>
#include "mbx.h"

#define STALE_MARGIN 300       /* refresh this long before expiry */
#define TOKEN_MAX 16384

enum source { SRC_STATIC, SRC_COMMAND, SRC_SECRET, SRC_CERT, SRC_DEVICE };

struct mbx_auth {
	struct mbx_http *http;
	enum source src;
	char tenant[256], client[128], authority[512], scope[1024];
	char token[TOKEN_MAX];
	char refresh[TOKEN_MAX];
	time_t expires;
	char cache[4096];          /* cache file path, "" for none */
};

/* auth.c */
const char *mbx_auth_env(const char *name);        /* NULL when unset or empty */

/* tokcache.c: $XDG_CACHE_HOME/mbx/token-*.json, 0600, under a file lock */
void mbx_tokcache_path(struct mbx_auth *a);        /* sets a->cache, or leaves it "" */
int mbx_tokcache_lock(struct mbx_auth *a, char *err, size_t n);      /* fd, or -1 */
void mbx_tokcache_unlock(int fd);                  /* fd -1: nothing */
int mbx_tokcache_read(struct mbx_auth *a, char *err, size_t n);      /* 1 fresh, 0, -1 */
void mbx_tokcache_write(struct mbx_auth *a);       /* a warning when it cannot */

/* tokenreq.c: requests to the token endpoint (graph-api.md 2); on every failure e says
 * what kind it was and why */
void mbx_auth_form_add(struct mbx_buf *b, const char *k, const char *v);
long mbx_auth_post(struct mbx_auth *a, const char *what, struct mbx_buf *form, yajl_val *out,
		   struct mbx_err *e);
void mbx_auth_oauth_error(yajl_val v, char *out, size_t n);
int mbx_auth_take(struct mbx_auth *a, yajl_val v, char *err, size_t n);
int mbx_auth_client_credentials(struct mbx_auth *a, struct mbx_err *e);
int mbx_auth_refresh(struct mbx_auth *a, struct mbx_err *e);

/* assertion.c (mbx_auth_jwt_assertion is in http.h) */
int mbx_auth_refuse_open_key(const char *path, const struct stat *st, char *err, size_t n);

/* devcode.c: a refresh token if there is one, else the sign-in (RFC 8628) */
int mbx_auth_device(struct mbx_auth *a, struct mbx_err *e);

#endif
