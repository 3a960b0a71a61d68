/* journal.c: mbx-import's --journal (mbx-import(1) "Resuming"). An NDJSON file: a
 * header {"type":"journal","v":2,"target":MAILBOX}, then per item created an intent line
 * ({"type":"intent",...}: where it goes, when and the key that names its content)
 * written and fsync'd before the upload, and a done line (as in version 1: source, id,
 * folderId) written and fsync'd before the item counts as done. An intent without its
 * done line is an upload whose answer never came: the next run looks for the item
 * before sending it again (import.c). Version 1 files (done lines only) load as they
 * are, and their header becomes version 2 when the first intent is written, so that an
 * older reader refuses the file by its version rather than at an intent line. A last
 * line without its LF is a write that a crash cut short: it is dropped (that item is
 * imported again, which the in-flight bound allows). Any other bad line means the file
 * is not a journal. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "mbx.h"

#define LINE_MAX_BYTES ((size_t)64 << 10)

struct mbx_journal {
	FILE *f;
	char *path;
	long v1_digit;             /* a version 1 header: the offset of its "1", else -1 */
	struct mbx_jentry **slots; /* open addressing on "mailbox\nid" */
	size_t cap, n;
};

static size_t
key_hash(const char *mailbox, const char *id)
{
	size_t h = 1469598103934665603ULL;
	const char *s;

	for (s = mailbox; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h = (h ^ '\n') * 1099511628211ULL;
	for (s = id; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct mbx_jentry **
slot(struct mbx_journal *j, const char *mailbox, const char *id)
{
	size_t h = key_hash(mailbox, id) & (j->cap - 1);

	while (j->slots[h] && (strcmp(j->slots[h]->src_id, id) != 0 ||
			       strcmp(j->slots[h]->src_mailbox, mailbox) != 0))
		h = (h + 1) & (j->cap - 1);
	return &j->slots[h];
}

static void
grow(struct mbx_journal *j)
{
	struct mbx_jentry **old = j->slots;
	size_t i, oldcap = j->cap;

	j->cap = oldcap ? 2 * oldcap : 1024;
	j->slots = mbx_xcalloc(j->cap, sizeof *j->slots);
	for (i = 0; i < oldcap; i++)
		if (old[i])
			*slot(j, old[i]->src_mailbox, old[i]->src_id) = old[i];
	free(old);
}

static void
entry_free(struct mbx_jentry *e)
{
	if (!e)
		return;
	free(e->src_mailbox);
	free(e->src_id);
	free(e->src_ck);
	free(e->id);
	free(e->ck);
	free(e->folder_id);
	free(e->mailbox);
	free(e->key_id);
	free(e->key_value);
	free(e);
}

/* Remember (or replace) what an entry says. */
static void
put(struct mbx_journal *j, struct mbx_jentry *e)
{
	struct mbx_jentry **s;

	if (2 * (j->n + 1) > j->cap)
		grow(j);
	s = slot(j, e->src_mailbox, e->src_id);
	if (*s)
		entry_free(*s);
	else
		j->n++;
	*s = e;
}

static const struct mbx_jentry *
lookup(const struct mbx_journal *j, const char *mailbox, const char *id)
{
	return j && j->cap ? *slot((struct mbx_journal *)j, mailbox, id) : NULL;
}

const struct mbx_jentry *
mbx_journal_find(const struct mbx_journal *j, const char *mailbox, const char *id)
{
	const struct mbx_jentry *e = lookup(j, mailbox, id);

	return e && !e->pending ? e : NULL;
}

const struct mbx_jentry *
mbx_journal_pending(const struct mbx_journal *j, const char *mailbox, const char *id)
{
	const struct mbx_jentry *e = lookup(j, mailbox, id);

	return e && e->pending ? e : NULL;
}

int
mbx_journal_has_copy(const struct mbx_journal *j, const char *id)
{
	size_t i;

	for (i = 0; j && i < j->cap; i++)
		if (j->slots[i] && !j->slots[i]->pending && j->slots[i]->id &&
		    strcmp(j->slots[i]->id, id) == 0)
			return 1;
	return 0;
}

static struct mbx_jentry *
entry_copy(const struct mbx_jentry *e)
{
	struct mbx_jentry *c = mbx_xcalloc(1, sizeof *c);

	c->src_mailbox = mbx_strdup(e->src_mailbox);
	c->src_id = mbx_strdup(e->src_id);
	c->src_ck = mbx_strdup(e->src_ck);
	c->id = mbx_strdup(e->id);
	c->ck = mbx_strdup(e->ck);
	c->folder_id = mbx_strdup(e->folder_id);
	c->pending = e->pending;
	c->mailbox = mbx_strdup(e->mailbox);
	c->time = e->time;
	c->key_id = mbx_strdup(e->key_id);
	c->key_value = mbx_strdup(e->key_value);
	return c;
}

/* {"type":"intent","source":{...},"mailbox","folderId","time","key":{"id","value"}} */
static struct mbx_jentry *
intent_from(yajl_val v)
{
	yajl_val src = mbx_json_get(v, "source"), key = mbx_json_get(v, "key");
	const char *sm = mbx_json_str(src, "mailbox"), *si = mbx_json_str(src, "id");
	struct mbx_jentry *e;
	long long t;

	if (!sm || !si || !mbx_json_str(v, "mailbox") || !mbx_json_str(v, "folderId") ||
	    mbx_json_num(v, "time", &t) < 0)
		return NULL;
	e = mbx_xcalloc(1, sizeof *e);
	e->pending = 1;
	e->src_mailbox = mbx_strdup(sm);
	e->src_id = mbx_strdup(si);
	e->src_ck = mbx_strdup(mbx_json_str(src, "changeKey"));
	e->mailbox = mbx_strdup(mbx_json_str(v, "mailbox"));
	e->folder_id = mbx_strdup(mbx_json_str(v, "folderId"));
	e->time = (double)t;
	if (mbx_json_str(key, "id") && mbx_json_str(key, "value")) {
		e->key_id = mbx_strdup(mbx_json_str(key, "id"));
		e->key_value = mbx_strdup(mbx_json_str(key, "value"));
	}
	return e;
}

static struct mbx_jentry *
entry_from(yajl_val v)
{
	yajl_val src = mbx_json_get(v, "source");
	const char *sm = mbx_json_str(src, "mailbox"), *si = mbx_json_str(src, "id");
	const char *type = mbx_json_str(v, "type");
	struct mbx_jentry *e;

	if (type && strcmp(type, "intent") == 0)
		return intent_from(v);
	if (!sm || !si || !mbx_json_str(v, "id") || !mbx_json_str(v, "folderId"))
		return NULL;
	e = mbx_xcalloc(1, sizeof *e);
	e->src_mailbox = mbx_strdup(sm);
	e->src_id = mbx_strdup(si);
	e->src_ck = mbx_strdup(mbx_json_str(src, "changeKey"));
	e->id = mbx_strdup(mbx_json_str(v, "id"));
	e->ck = mbx_strdup(mbx_json_str(v, "changeKey"));
	e->folder_id = mbx_strdup(mbx_json_str(v, "folderId"));
	return e;
}

/* One line of the file: 1 a line, 0 the end, -1 a torn last line (no LF), -2 too long. */
static int
next_line(FILE *f, struct mbx_buf *b)
{
	int c, over = 0;

	mbx_buf_reset(b);
	while ((c = getc(f)) != EOF && c != '\n')
		over |= mbx_buf_putc(b, (char)c) < 0;
	if (over)
		return -2;
	if (c == EOF)
		return b->len ? -1 : 0;
	return 1;
}

/* The first line: a journal header for target (version 1 or 2). 0, or -1 with e. */
static int
check_header(struct mbx_journal *j, yajl_val v, const struct mbx_buf *line,
	     const char *target, struct mbx_err *e)
{
	const char *d;
	const char *t = mbx_json_str(v, "target");
	long long ver = 0;

	if (!v || !mbx_json_str(v, "type") || strcmp(mbx_json_str(v, "type"), "journal") != 0 ||
	    mbx_json_num(v, "v", &ver) < 0 || !t) {
		mbx_err_set(e, MBX_ERR_INPUT, NULL,
			    "not an mbx-import journal (no journal header on line 1)");
		return -1;
	}
	if (ver != 1 && ver != 2) {
		mbx_err_set(e, MBX_ERR_INPUT, NULL, "journal version %lld is not supported", ver);
		return -1;
	}
	/* the header as version 1 wrote it, to be made version 2 in place (same length) */
	if (ver == 1 && line->data && (d = strstr(line->data, "\"v\":1")) != NULL &&
	    (d[5] == ',' || d[5] == '}'))
		j->v1_digit = (long)(d + 4 - line->data);
	if (strcasecmp(t, target) != 0) {
		mbx_err_set(e, MBX_ERR_INPUT, NULL, "it belongs to another target ('%s')", t);
		return -1;
	}
	return 0;
}

/* One line's worth: 0, or -1 with e. */
static int
take_line(struct mbx_journal *j, const struct mbx_buf *line, unsigned long lineno,
	  const char *target, struct mbx_err *e)
{
	yajl_val v = mbx_json_parse(line->data ? line->data : "", line->len, NULL, 0);
	struct mbx_jentry *je;
	int rc = 0;

	if (lineno == 1)
		rc = check_header(j, v, line, target, e);
	else if ((je = entry_from(v)) != NULL)
		put(j, je);
	else {
		mbx_err_set(e, MBX_ERR_INPUT, NULL, "line %lu is not a journal entry", lineno);
		rc = -1;
	}
	yajl_tree_free(v);
	return rc;
}

/* Read every entry; *good is the offset after the last whole line. 0, or -1 with e. */
static int
load(struct mbx_journal *j, const char *target, off_t *good, struct mbx_err *e)
{
	struct mbx_buf line;
	unsigned long lineno = 0;
	int rc, bad = 0;

	*good = 0;
	mbx_buf_init(&line, LINE_MAX_BYTES);
	while (!bad && (rc = next_line(j->f, &line)) != 0) {
		lineno++;
		if (rc == -1 && lineno > 1) {
			mbx_warn("'%s': line %lu is incomplete (an interrupted write): dropped",
				 j->path, lineno);
			break;
		}
		if (rc == -2) {
			mbx_err_set(e, MBX_ERR_INPUT, NULL, "line %lu is longer than %zu bytes",
				    lineno, LINE_MAX_BYTES);
			bad = 1;
		} else
			bad = take_line(j, &line, lineno, target, e) < 0;
		*good = ftello(j->f);
	}
	if (!bad && ferror(j->f)) {
		mbx_err_set(e, MBX_ERR_INPUT, NULL, "%s", strerror(errno));
		bad = 1;
	}
	mbx_buf_free(&line);
	return bad ? -1 : 0;
}

static int
write_line(struct mbx_journal *j, const struct mbx_buf *b)
{
	if (fwrite(b->data, 1, b->len, j->f) != b->len || putc('\n', j->f) == EOF ||
	    fflush(j->f) == EOF || fsync(fileno(j->f)) < 0)
		return -1;
	return 0;
}

static int
write_header(struct mbx_journal *j, const char *target)
{
	struct mbx_buf b;
	struct mbx_jw w;
	int rc;

	mbx_buf_init(&b, LINE_MAX_BYTES);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "journal");
	mbx_jw_kint(&w, "v", 2);
	mbx_jw_kstr(&w, "target", target);
	mbx_jw_end(&w);
	rc = write_line(j, &b);
	mbx_buf_free(&b);
	return rc;
}

/* A file that does not exist or is empty is a new journal for target. A journal that
 * cannot be used, corrupt or unwritable, is INPUT: exit 5 (mbx-import(1) EXIT STATUS). */
int
mbx_journal_open(const char *path, const char *target, struct mbx_journal **out,
		 struct mbx_err *e)
{
	struct mbx_journal *j = mbx_xcalloc(1, sizeof *j);
	off_t good = 0;
	int rc = 0;

	*out = NULL;                             /* whatever the result (DESIGN-NOTES) */
	mbx_err_clear(e);
	j->path = mbx_strdup(path);
	j->v1_digit = -1;
	if (!(j->f = fopen(path, "a+"))) {
		mbx_err_set(e, MBX_ERR_INPUT, NULL, "%s", strerror(errno));
		mbx_journal_close(j);
		return -1;
	}
	rewind(j->f);
	if (load(j, target, &good, e) < 0)
		rc = -1;
	else if (good == 0)
		rc = ftruncate(fileno(j->f), 0) < 0 || write_header(j, target) < 0 ? -2 : 0;
	else
		rc = ftruncate(fileno(j->f), good) < 0 ? -2 : 0;   /* drop a torn last line */
	if (rc == -2)
		mbx_err_set(e, MBX_ERR_INPUT, NULL, "cannot write: %s", strerror(errno));
	if (rc < 0) {
		mbx_journal_close(j);
		return -1;
	}
	fseeko(j->f, 0, SEEK_END);
	*out = j;
	return 0;
}

/* The "source" member of a done or an intent line: the item as the input named it. */
static void
put_source(struct mbx_jw *w, const struct mbx_jentry *e)
{
	mbx_jw_key(w, "source");
	mbx_jw_obj(w);
	mbx_jw_kstr(w, "mailbox", e->src_mailbox);
	mbx_jw_kstr(w, "id", e->src_id);
	if (e->src_ck)
		mbx_jw_kstr(w, "changeKey", e->src_ck);
	mbx_jw_end(w);
}

int
mbx_journal_add(struct mbx_journal *j, const struct mbx_jentry *e)
{
	struct mbx_buf b;
	struct mbx_jw w;
	struct mbx_jentry *copy;
	int rc;

	mbx_buf_init(&b, LINE_MAX_BYTES);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	put_source(&w, e);
	mbx_jw_kstr(&w, "id", e->id);
	if (e->ck)
		mbx_jw_kstr(&w, "changeKey", e->ck);
	mbx_jw_kstr(&w, "folderId", e->folder_id);
	mbx_jw_end(&w);
	rc = w.err ? -1 : write_line(j, &b);
	mbx_buf_free(&b);
	if (rc == 0) {
		copy = entry_copy(e);
		copy->pending = 0;
		put(j, copy);
	}
	return rc;
}

/* A version 1 header says 2 before the first intent follows it: written through a
 * descriptor of its own, since one opened for appending writes at the end whatever the
 * offset (pwrite(2) BUGS). */
static int
upgrade_header(struct mbx_journal *j)
{
	int fd, rc;

	if (j->v1_digit < 0)
		return 0;
	if ((fd = open(j->path, O_WRONLY)) < 0)
		return -1;
	rc = pwrite(fd, "2", 1, j->v1_digit) == 1 && fsync(fd) == 0 ? 0 : -1;
	if (close(fd) < 0)
		rc = -1;
	if (rc == 0)
		j->v1_digit = -1;
	return rc;
}

int
mbx_journal_intent(struct mbx_journal *j, const struct mbx_jentry *e)
{
	struct mbx_buf b;
	struct mbx_jw w;
	struct mbx_jentry *copy;
	int rc;

	if (upgrade_header(j) < 0)
		return -1;
	mbx_buf_init(&b, LINE_MAX_BYTES);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "intent");
	put_source(&w, e);
	mbx_jw_kstr(&w, "mailbox", e->mailbox);
	mbx_jw_kstr(&w, "folderId", e->folder_id);
	mbx_jw_kint(&w, "time", (long long)e->time);
	if (e->key_id && e->key_value) {
		mbx_jw_key(&w, "key");
		mbx_jw_obj(&w);
		mbx_jw_kstr(&w, "id", e->key_id);
		mbx_jw_kstr(&w, "value", e->key_value);
		mbx_jw_end(&w);
	}
	mbx_jw_end(&w);
	rc = w.err ? -1 : write_line(j, &b);
	if (w.err)
		errno = ENOBUFS;
	mbx_buf_free(&b);
	if (rc == 0) {
		copy = entry_copy(e);
		copy->pending = 1;
		put(j, copy);
	}
	return rc;
}

void
mbx_journal_close(struct mbx_journal *j)
{
	size_t i;

	if (!j)
		return;
	if (j->f)
		fclose(j->f);
	for (i = 0; i < j->cap; i++)
		entry_free(j->slots[i]);
	free(j->slots);
	free(j->path);
	free(j);
}
