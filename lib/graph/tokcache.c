/* tokcache.c: the token cache, one file per authority, tenant, client and scope under
 * $XDG_CACHE_HOME/mbx/, 0600, replaced atomically, under a file lock, so the processes
 * of one pipeline share one token (mbx(7) AUTHENTICATION). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "auth-int.h"

/* $XDG_CACHE_HOME/mbx/token-<sha256(authority tenant client scope)>.json */
void
mbx_tokcache_path(struct mbx_auth *a)
{
	const char *base = mbx_auth_env("XDG_CACHE_HOME"), *home = mbx_auth_env("HOME");
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

int
mbx_tokcache_lock(struct mbx_auth *a, char *err, size_t n)
{
	char lock[4200];
	int fd;

	snprintf(lock, sizeof lock, "%s.lock", a->cache);
	if (mkdirs(lock) < 0 || (fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, n, "cannot open token cache lock '%s': %s", lock, strerror(errno));
		return -1;
	}
	mbx_records_flush();            /* another process may hold the lock a while */
	if (check_private(fd, lock, err, n) < 0 || flock(fd, LOCK_EX) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

void
mbx_tokcache_unlock(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

/* 1 a fresh token was read, 0 none usable, -1 refused (err). */
int
mbx_tokcache_read(struct mbx_auth *a, char *err, size_t n)
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

void
mbx_tokcache_write(struct mbx_auth *a)
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
