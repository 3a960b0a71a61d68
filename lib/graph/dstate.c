/* dstate.c: the --delta STATE files of mbx-ls and mbx-folders (mbx(7) "DELTA STATE").
 * One JSON document: {"type": TOOL, "v": 1, "mailbox": ID, ...}; read whole (bounded),
 * written whole to a temporary file, synced and renamed over the old one, so a run that
 * fails or is killed leaves the previous state intact. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "mbx.h"

#define STATE_MAX ((size_t)256 << 20)

static int
slurp(const char *path, struct mbx_buf *b, char *err, size_t n)
{
	char chunk[65536];
	size_t k;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, n, "%s", strerror(errno));
		return -1;
	}
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (mbx_buf_append(b, chunk, k) < 0) {
			fclose(f);
			snprintf(err, n, "larger than %zu MiB", STATE_MAX >> 20);
			return -1;
		}
	k = ferror(f);
	fclose(f);
	if (k)
		snprintf(err, n, "read error");
	return k ? -1 : 0;
}

int
mbx_dstate_load(const char *path, const char *tool, const char *mailbox, yajl_val *out,
		char *err, size_t n)
{
	struct mbx_buf b;
	const char *t, *m;
	long long v = 0;
	char e[200];

	*out = NULL;
	if (access(path, F_OK) != 0)
		return 0;                      /* a first run */
	mbx_buf_init(&b, STATE_MAX);
	if (slurp(path, &b, err, n) < 0) {
		mbx_buf_free(&b);
		return -1;
	}
	*out = mbx_json_parse(b.data ? b.data : "", b.len, e, sizeof e);
	mbx_buf_free(&b);
	t = mbx_json_str(*out, "type");
	m = mbx_json_str(*out, "mailbox");
	if (!*out || !YAJL_IS_OBJECT(*out))
		snprintf(err, n, "not a delta state file (not a JSON object)");
	else if (!t || strcmp(t, tool) != 0)
		snprintf(err, n, "a state file of '%s', not of %s", t ? t : "?", tool);
	else if (mbx_json_num(*out, "v", &v) < 0 || v != 1)
		snprintf(err, n, "state version %lld is not supported", v);
	else if (!m || (mailbox && strcasecmp(m, mailbox) != 0))
		snprintf(err, n, "the state of another mailbox ('%s')", m ? m : "?");
	else
		return 1;
	yajl_tree_free(*out);
	*out = NULL;
	return -1;
}

int
mbx_dstate_save(const char *path, const struct mbx_buf *doc, char *err, size_t n)
{
	struct mbx_buf tmp;
	FILE *f;
	int ok;

	mbx_buf_init(&tmp, 0);
	mbx_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	if (!(f = fopen(tmp.data, "w"))) {
		snprintf(err, n, "cannot write '%s': %s", tmp.data, strerror(errno));
		mbx_buf_free(&tmp);
		return -1;
	}
	ok = fwrite(doc->data, 1, doc->len, f) == doc->len && putc('\n', f) != EOF &&
	     fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok && rename(tmp.data, path) == 0;
	if (!ok) {
		snprintf(err, n, "cannot write '%s': %s", path, strerror(errno));
		unlink(tmp.data);
	}
	mbx_buf_free(&tmp);
	return ok ? 0 : -1;
}
