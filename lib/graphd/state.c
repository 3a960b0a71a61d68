/* state.c: --state DIR (mbx-graphd(1) FILES): the snapshot store.ndjson, and the replay
 * of the change log store.log after it (changelog.c writes the log).
 *
 * The snapshot is NDJSON: a tenant record ("format": 2, the id and change counters, the
 * last change log record it holds), apps, users, auxiliary archive mailboxes, then per
 * mailbox its folders (by id and parent id, parents first), items and tombstones. A
 * stored stream's bytes are written once per snapshot, with the id of its blob; the
 * items that share it (a moved or soft-deleted copy) name the id. The change log holds
 * one line per committed change: {"lsn":N,"ops":[...]}, its operations the same records
 * applied as updates (folder, item), removals (rmfolder, rmitem), tombstones, and the
 * counters last. Replay skips lines the snapshot holds already (lsn) and drops a torn
 * last line (SIGKILL while writing: that change was never acknowledged). A snapshot
 * without "format" is a seed file of the first version, loaded as one. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "graphd.h"

#define LINE_MAX_BYTES ((size_t)1 << 30)

/* ---------------------------------------------------------------- writing */

static int
put_line(FILE *f, struct mbx_buf *b)
{
	int ok = fwrite(b->data, 1, b->len, f) == b->len && putc('\n', f) != EOF;

	mbx_buf_reset(b);
	return ok ? 0 : -1;
}

static void
counters(struct mbx_jw *w, const struct gd_store *s)
{
	mbx_jw_kint(w, "idseq", (long long)s->idseq);
	mbx_jw_kint(w, "cseq", (long long)s->cseq);
	mbx_jw_kint(w, "deltaEpoch", (long long)s->delta_epoch);
	mbx_jw_kint(w, "blobseq", (long long)s->blobseq);
}

static int
save_head(FILE *f, struct gd_store *s, uint64_t lsn, struct mbx_buf *b)
{
	struct mbx_jw w;
	size_t i, k;
	int rc = 0;

	mbx_jw_init(&w, b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "tenant");
	mbx_jw_kint(&w, "format", 2);
	mbx_jw_kstr(&w, "id", s->tenant_id);
	mbx_jw_kstr(&w, "domain", s->domain);
	counters(&w, s);
	mbx_jw_kint(&w, "lsn", (long long)lsn);
	mbx_jw_end(&w);
	rc |= w.err | put_line(f, b);
	for (i = 0; i < s->napps; i++) {
		const struct gd_oauth_app *a = &s->apps[i]->pub;
		mbx_jw_init(&w, b);
		mbx_jw_obj(&w);
		mbx_jw_kstr(&w, "type", "app");
		mbx_jw_kstr(&w, "clientId", a->client_id);
		if (a->secret)
			mbx_jw_kstr(&w, "secret", a->secret);
		if (a->cert_pem)
			mbx_jw_kstr(&w, "certificate", a->cert_pem);
		mbx_jw_key(&w, "roles");
		mbx_jw_arr(&w);
		for (k = 0; k < a->nroles; k++)
			mbx_jw_str(&w, a->roles[k]);
		mbx_jw_end(&w);
		mbx_jw_key(&w, "publicClient");
		mbx_jw_bool(&w, a->public_client);
		mbx_jw_end(&w);
		rc |= w.err | put_line(f, b);
	}
	return rc;
}

static int
save_user(FILE *f, const struct gd_user *u, struct mbx_buf *b)
{
	struct mbx_jw w;

	mbx_jw_init(&w, b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "user");
	mbx_jw_kstr(&w, "upn", u->upn);
	mbx_jw_kstr(&w, "id", u->id);
	mbx_jw_kstr(&w, "displayName", u->name);
	mbx_jw_kstr(&w, "mail", u->mail);
	if (u->primary)
		mbx_jw_kstr(&w, "primaryMailboxId", u->primary->id);
	if (u->archive)
		mbx_jw_kstr(&w, "archiveMailboxId", u->archive->id);
	mbx_jw_end(&w);
	return w.err ? -1 : put_line(f, b);
}

static int
save_aux(FILE *f, const struct gd_mailbox *m, struct mbx_buf *b)
{
	struct mbx_jw w;

	mbx_jw_init(&w, b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "mailbox");
	mbx_jw_kstr(&w, "id", m->id);
	mbx_jw_kstr(&w, "user", m->user);
	mbx_jw_kstr(&w, "kind", m->kind);
	mbx_jw_kstr(&w, "main", m->main->id);
	mbx_jw_end(&w);
	return w.err ? -1 : put_line(f, b);
}

/* A folder record (snapshot line or change log operation), without its newline. */
static void
folder_json(struct mbx_jw *w, const struct gd_folder *f)
{
	mbx_jw_obj(w);
	mbx_jw_kstr(w, "type", "folder");
	mbx_jw_kstr(w, "mailbox", f->mbx->id);
	mbx_jw_kstr(w, "id", f->id);
	mbx_jw_kstr(w, "parent", f->parent ? f->parent->id : NULL);
	mbx_jw_kstr(w, "name", f->name);
	mbx_jw_kstr(w, "wk", f->wk);
	mbx_jw_kstr(w, "class", f->cls);
	mbx_jw_key(w, "hidden");
	mbx_jw_bool(w, f->hidden);
	mbx_jw_kint(w, "seq", (long long)f->seq);
	if (f->aux)
		mbx_jw_kstr(w, "aux", f->aux->id);
	mbx_jw_end(w);
}

int gd_state_folder(struct mbx_buf *b, const struct gd_folder *f);
int
gd_state_folder(struct mbx_buf *b, const struct gd_folder *f)
{
	struct mbx_jw w;

	mbx_jw_init(&w, b);
	folder_json(&w, f);
	return w.err ? -1 : 0;
}

/* The members of an item record but its content, the closing brace left off. */
static int
item_head(struct mbx_buf *b, const struct gd_item *it)
{
	struct mbx_jw w;
	size_t i;

	mbx_jw_init(&w, b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "item");
	mbx_jw_kstr(&w, "mailbox", it->folder->mbx->id);
	mbx_jw_kstr(&w, "folder", it->folder->id);
	mbx_jw_kstr(&w, "id", it->id);
	mbx_jw_kstr(&w, "changeKey", it->change_key);
	mbx_jw_kint(&w, "seq", (long long)it->seq);
	mbx_jw_kstr(&w, "class", it->cls);
	mbx_jw_kstr(&w, "createdDateTime", it->created);
	mbx_jw_kstr(&w, "lastModifiedDateTime", it->modified);
	mbx_jw_key(&w, "categories");
	mbx_jw_arr(&w);
	for (i = 0; i < it->ncats; i++)
		mbx_jw_str(&w, it->cats[i]);
	mbx_jw_end(&w);
	if (!it->blob) {
		mbx_jw_key(&w, "generated");
		mbx_jw_obj(&w);
		mbx_jw_kint(&w, "seed", (long long)(it->gen_seed >> 1));
		mbx_jw_kint(&w, "low", (long long)(it->gen_seed & 1));
		mbx_jw_kint(&w, "size", (long long)it->gen_size);
		mbx_jw_end(&w);
	} else {
		mbx_jw_kint(&w, "blob", (long long)it->blob->id);
	}
	return w.err ? -1 : 0;
}

/* The base64 of p to f, a piece at a time. */
static int
b64_to(FILE *f, const unsigned char *p, size_t n)
{
	struct mbx_buf enc;
	size_t off = 0, k;
	int rc = 0;

	mbx_buf_init(&enc, 0);
	while (off < n && rc == 0) {
		k = n - off < ((size_t)3 << 16) ? n - off : ((size_t)3 << 16);
		mbx_buf_reset(&enc);
		mbx_b64_encode(&enc, p + off, k);
		rc = fwrite(enc.data, 1, enc.len, f) == enc.len ? 0 : -1;
		off += k;
	}
	mbx_buf_free(&enc);
	return rc;
}

int
gd_state_item(FILE *f, struct gd_item *it)
{
	struct gd_store *s = it->folder->mbx->store;
	struct gd_blob *b = it->blob;
	struct mbx_buf head;
	int rc, first = b && b->gen != s->save_gen;

	if (b && !b->id)
		b->id = ++s->blobseq;
	mbx_buf_init(&head, 0);
	rc = item_head(&head, it) == 0 && fwrite(head.data, 1, head.len, f) == head.len ? 0 : -1;
	mbx_buf_free(&head);
	if (rc == 0 && first) {
		rc = fputs(",\"data\":\"", f) == EOF || b64_to(f, b->bytes, b->len) < 0 ||
		     putc('"', f) == EOF ? -1 : 0;
		b->gen = s->save_gen;
	}
	return rc == 0 && putc('}', f) != EOF ? 0 : -1;
}

static int
save_mailbox(FILE *f, const struct gd_mailbox *m, struct mbx_buf *b)
{
	struct mbx_jw w;
	size_t i, k;
	int rc = 0;

	for (i = 0; i < m->nall && rc == 0; i++)         /* creation order: parents first */
		rc = gd_state_folder(b, m->all[i]) < 0 || put_line(f, b) < 0;
	for (i = 0; i < m->nall && rc == 0; i++)
		for (k = 0; k < m->all[i]->nitems && rc == 0; k++)
			rc = gd_state_item(f, m->all[i]->items[k]) < 0 || putc('\n', f) == EOF;
	for (i = 0; i < m->ntombs && rc == 0; i++) {
		mbx_jw_init(&w, b);
		mbx_jw_obj(&w);
		mbx_jw_kstr(&w, "type", "tombstone");
		mbx_jw_kstr(&w, "mailbox", m->id);
		mbx_jw_kstr(&w, "id", m->tombs[i].id);
		mbx_jw_kstr(&w, "parent", m->tombs[i].parent);
		mbx_jw_key(&w, "item");
		mbx_jw_bool(&w, m->tombs[i].item);
		mbx_jw_kint(&w, "seq", (long long)m->tombs[i].seq);
		mbx_jw_end(&w);
		rc = w.err || put_line(f, b) < 0;
	}
	return rc ? -1 : 0;
}

static int
save_all(FILE *f, struct gd_store *s, uint64_t lsn)
{
	struct mbx_buf b;
	size_t i;
	int rc;

	mbx_buf_init(&b, 0);
	rc = save_head(f, s, lsn, &b);
	for (i = 0; i < s->nusers && rc == 0; i++)
		rc = save_user(f, s->users[i], &b);
	for (i = 0; i < s->nmbxs && rc == 0; i++)
		if (s->mbxs[i]->main)
			rc = save_aux(f, s->mbxs[i], &b);
	for (i = 0; i < s->nmbxs && rc == 0; i++)
		rc = save_mailbox(f, s->mbxs[i], &b);
	mbx_buf_free(&b);
	return rc;
}

/* fsync of a directory: a rename or a new file in it is durable. */
int gd_fsync_dir(const char *dir);
int
gd_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
gd_state_snapshot(struct gd_store *s, const char *dir, uint64_t lsn, long long *bytes,
		  char *err, size_t n)
{
	char tmp[4096], final[4096];
	FILE *f;
	int ok;

	*bytes = 0;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, n, "cannot create state directory '%s': %s", dir, strerror(errno));
		return -1;
	}
	snprintf(tmp, sizeof tmp, "%s/store.ndjson.tmp", dir);
	snprintf(final, sizeof final, "%s/store.ndjson", dir);
	if (!(f = fopen(tmp, "w"))) {
		snprintf(err, n, "cannot write '%s': %s", tmp, strerror(errno));
		return -1;
	}
	s->save_gen++;                     /* every stored stream is written again */
	ok = save_all(f, s, lsn) == 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
	*bytes = ok ? (long long)ftell(f) : 0;
	if (fclose(f) != 0 || !ok || rename(tmp, final) < 0 || gd_fsync_dir(dir) < 0) {
		snprintf(err, n, "cannot write '%s': %s", final, strerror(errno));
		unlink(tmp);
		s->save_gen++;             /* what it wrote is not there: write it again */
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- loading */

struct blobent { unsigned long id; struct gd_blob *b; };

struct load {
	struct gd_store *s;
	struct blobent *blobs;     /* by id, open addressing */
	size_t nblobs, capblobs;
	long long idseq, cseq, epoch, blobseq;
	uint64_t lsn;              /* the last change applied */
	struct gd_mailbox *last;   /* the mailbox of the last record */
	unsigned long applied;     /* change log lines replayed */
	char why[512];
};

static int
bad(struct load *l, const char *why)
{
	mbx_strlcpy(l->why, why, sizeof l->why);
	return -1;
}

static void blob_put(struct load *l, struct gd_blob *b);

static void
blobs_grow(struct load *l)
{
	struct blobent *old = l->blobs;
	size_t i, cap = l->capblobs;

	l->capblobs = cap ? 2 * cap : 256;
	l->blobs = mbx_xcalloc(l->capblobs, sizeof *l->blobs);
	l->nblobs = 0;
	for (i = 0; i < cap; i++)
		if (old[i].b)
			blob_put(l, old[i].b);
	free(old);
}

static struct blobent *
blob_slot(struct load *l, unsigned long id)
{
	size_t h = (id * 0x9e3779b97f4a7c15ULL) & (l->capblobs - 1);

	while (l->blobs[h].b && l->blobs[h].id != id)
		h = (h + 1) & (l->capblobs - 1);
	return &l->blobs[h];
}

/* The map holds a reference, so a blob named again after its item went stays. */
static void
blob_put(struct load *l, struct gd_blob *b)
{
	struct blobent *e;

	if (2 * (l->nblobs + 1) > l->capblobs)
		blobs_grow(l);
	e = blob_slot(l, b->id);
	if (e->b) {
		gd_blob_unref(e->b);
		l->nblobs--;
	}
	e->id = b->id;
	e->b = gd_blob_ref(b);
	l->nblobs++;
}

static struct gd_blob *
blob_get(struct load *l, unsigned long id)
{
	return l->capblobs ? blob_slot(l, id)->b : NULL;
}

static int
num(yajl_val v, const char *k, long long *out)
{
	*out = 0;
	return mbx_json_num(v, k, out) == 0 && *out >= 0 ? 0 : -1;
}

static int
apply_counters(struct load *l, yajl_val v)
{
	if (num(v, "idseq", &l->idseq) < 0 || num(v, "cseq", &l->cseq) < 0 ||
	    num(v, "deltaEpoch", &l->epoch) < 0 || num(v, "blobseq", &l->blobseq) < 0)
		return bad(l, "bad counters (idseq, cseq, deltaEpoch, blobseq)");
	return 0;
}

static int
apply_tenant(struct load *l, yajl_val v)
{
	long long lsn;

	if (l->s->tenant_id || !mbx_json_str(v, "id") || !mbx_json_str(v, "domain") ||
	    num(v, "lsn", &lsn) < 0)
		return bad(l, "a tenant record needs id, domain and lsn, and comes once");
	l->s->tenant_id = mbx_strdup(mbx_json_str(v, "id"));
	l->s->domain = mbx_strdup(mbx_json_str(v, "domain"));
	l->lsn = (uint64_t)lsn;
	return apply_counters(l, v);
}

static int
apply_user(struct load *l, yajl_val v)
{
	const char *upn = mbx_json_str(v, "upn"), *p = mbx_json_str(v, "primaryMailboxId");
	const char *a = mbx_json_str(v, "archiveMailboxId");
	struct gd_user *u;

	if (!upn || !mbx_json_str(v, "id") || gd_user_find(l->s, upn))
		return bad(l, "a user needs a upn (once) and an id");
	u = gd_user_add(l->s, upn, mbx_json_str(v, "id"), mbx_json_str(v, "displayName"),
			mbx_json_str(v, "mail"));
	if (p)
		u->primary = gd_mailbox_add(l->s, p, upn, "primary", 1);
	if (a)
		u->archive = gd_mailbox_add(l->s, a, upn, "archive", 1);
	return 0;
}

static int
apply_mailbox(struct load *l, yajl_val v)
{
	const char *id = mbx_json_str(v, "id"), *kind = mbx_json_str(v, "kind");
	struct gd_mailbox *main = gd_mailbox_find(l->s, mbx_json_str(v, "main") ?
						  mbx_json_str(v, "main") : "");

	if (!id || !kind || !main || gd_mailbox_find(l->s, id))
		return bad(l, "a mailbox record needs a new id, its kind and its main mailbox");
	gd_mailbox_add(l->s, id, mbx_json_str(v, "user"), kind, 1)->main = main;
	return 0;
}

static struct gd_folder *
folder_by_id(struct gd_mailbox *m, const char *id)
{
	size_t i;

	for (i = 0; id && i < m->nall; i++)
		if (strcmp(m->all[i]->id, id) == 0)
			return m->all[i];
	return NULL;
}

/* Records come mailbox by mailbox: the last one found is asked first. */
static struct gd_mailbox *
mailbox_of(struct load *l, yajl_val v)
{
	const char *id = mbx_json_str(v, "mailbox");

	if (!id)
		return NULL;
	if (!l->last || strcasecmp(l->last->id, id) != 0)
		l->last = gd_mailbox_find(l->s, id);
	return l->last;
}

/* Made, or renamed: folders do not move. */
static int
apply_folder(struct load *l, yajl_val v)
{
	struct gd_mailbox *m = mailbox_of(l, v);
	const char *id = mbx_json_str(v, "id"), *name = mbx_json_str(v, "name");
	const char *pid = mbx_json_str(v, "parent"), *aux = mbx_json_str(v, "aux");
	struct gd_folder *f, *parent = NULL;
	long long seq;

	if (!m || !id || !name || num(v, "seq", &seq) < 0 ||
	    (pid && !(parent = folder_by_id(m, pid))) || (!pid && m->root && !folder_by_id(m, id)))
		return bad(l, "a folder needs a known mailbox, an id, a name, a seq and a known parent");
	if (!(f = folder_by_id(m, id))) {
		f = gd_folder_add(m, parent, name, mbx_json_str(v, "wk"), mbx_json_str(v, "class"));
		free(f->id);
		f->id = mbx_strdup(id);
		f->hidden = mbx_json_bool(v, "hidden");
		if (!parent)
			m->root = f;
	} else if (strcmp(f->name, name) != 0) {
		free(f->name);
		f->name = mbx_strdup(name);
	}
	f->seq = (uint64_t)seq;
	if (aux && !(f->aux = gd_mailbox_find(l->s, aux)))
		return bad(l, "a folder's auxiliary mailbox is not known");
	return 0;
}

static void
set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = mbx_strdup(s ? s : "");
}

static void
set_categories(struct gd_item *it, yajl_val cats)
{
	size_t i;

	for (i = 0; i < it->ncats; i++)
		free(it->cats[i]);
	free(it->cats);
	it->cats = mbx_xcalloc((cats && YAJL_IS_ARRAY(cats) ? cats->u.array.len : 0) + 1,
			       sizeof *it->cats);
	it->ncats = 0;
	for (i = 0; cats && YAJL_IS_ARRAY(cats) && i < cats->u.array.len; i++)
		if (YAJL_IS_STRING(cats->u.array.values[i]))
			it->cats[it->ncats++] = mbx_strdup(cats->u.array.values[i]->u.string);
}

/* The content: generator parameters, a blob with its bytes, or a blob named before. */
static int
item_content(struct load *l, struct gd_item *it, yajl_val v)
{
	yajl_val gen = mbx_json_get(v, "generated");
	const char *data = mbx_json_str(v, "data");
	long long seed, low, size, id;
	struct gd_blob *b;
	struct mbx_buf raw;

	if (gen) {
		if (num(gen, "seed", &seed) < 0 || num(gen, "low", &low) < 0 ||
		    num(gen, "size", &size) < 0)
			return bad(l, "\"generated\" needs seed, low and size");
		gd_blob_unref(it->blob);
		it->blob = NULL;
		it->gen_seed = (uint64_t)seed << 1 | (uint64_t)(low & 1);
		it->gen_size = (size_t)size;
		it->sha256[0] = '\0';
		it->len = 0;
		return 0;
	}
	if (num(v, "blob", &id) < 0 || id == 0)
		return bad(l, "an item needs \"generated\" or \"blob\"");
	if (data) {
		mbx_buf_init(&raw, GD_STREAM_MAX);
		if (mbx_b64_decode(&raw, data, strlen(data)) < 0) {
			mbx_buf_free(&raw);
			return bad(l, "an item's \"data\" is not base64");
		}
		size = (long long)raw.len;
		b = gd_blob_new(mbx_buf_steal(&raw), (size_t)size);
		b->id = (unsigned long)id;
		blob_put(l, b);
		gd_blob_unref(b);
	}
	if (!(b = blob_get(l, (unsigned long)id)))
		return bad(l, "an item names a blob that is not in the state");
	gd_item_set_blob(it, b);
	return 0;
}

static int
apply_item(struct load *l, yajl_val v)
{
	struct gd_mailbox *m = mailbox_of(l, v);
	struct gd_folder *f = m ? folder_by_id(m, mbx_json_str(v, "folder")) : NULL;
	const char *id = mbx_json_str(v, "id"), *ck = mbx_json_str(v, "changeKey");
	struct gd_item *it;
	long long seq;

	if (!f || !id || !ck || num(v, "seq", &seq) < 0)
		return bad(l, "an item needs a known mailbox and folder, an id, a changeKey, a seq");
	if ((it = gd_mailbox_item(m, id)) != NULL) {
		if (it->folder != f)
			gd_item_move(it, f);
	} else {
		it = gd_item_add(l->s, f, NULL, NULL, NULL);
		gd_item_set_id(it, id);
	}
	set_str(&it->change_key, ck);
	set_str(&it->cls, mbx_json_str(v, "class") ? mbx_json_str(v, "class") : "IPM.Note");
	set_str(&it->created, mbx_json_str(v, "createdDateTime"));
	set_str(&it->modified, mbx_json_str(v, "lastModifiedDateTime"));
	set_categories(it, mbx_json_get(v, "categories"));
	it->seq = (uint64_t)seq;
	return item_content(l, it, v);
}

static int
apply_rm(struct load *l, yajl_val v, int item)
{
	struct gd_mailbox *m = mailbox_of(l, v);
	const char *id = mbx_json_str(v, "id");
	struct gd_item *it = m && id && item ? gd_mailbox_item(m, id) : NULL;
	struct gd_folder *f = m && !item ? folder_by_id(m, id) : NULL;

	if (item ? !it : !f)
		return bad(l, item ? "a removal of an item that is not there"
			   : "a removal of a folder that is not there");
	if (item)
		gd_item_drop(it);
	else
		gd_folder_drop(f);
	return 0;
}

static int
apply_tomb(struct load *l, yajl_val v)
{
	struct gd_mailbox *m = mailbox_of(l, v);
	long long seq;

	if (!m || !mbx_json_str(v, "id") || num(v, "seq", &seq) < 0)
		return bad(l, "a tombstone needs a known mailbox, an id and a seq");
	gd_tomb_add(m, mbx_json_str(v, "id"), mbx_json_str(v, "parent"),
		    mbx_json_bool(v, "item"), (uint64_t)seq);
	return 0;
}

static int
apply(struct load *l, yajl_val v, int in_log)
{
	const char *t = mbx_json_str(v, "type");
	char why[300];

	if (!t)
		return bad(l, "a record without \"type\"");
	if (!in_log && !strcmp(t, "tenant"))
		return apply_tenant(l, v);
	if (!in_log && !strcmp(t, "app"))
		return gd_seed_app(l->s, v, why, sizeof why) < 0 ? bad(l, why) : 0;
	if (!in_log && !strcmp(t, "user"))
		return apply_user(l, v);
	if (!in_log && !strcmp(t, "mailbox"))
		return apply_mailbox(l, v);
	if (!strcmp(t, "folder"))
		return apply_folder(l, v);
	if (!strcmp(t, "item"))
		return apply_item(l, v);
	if (!strcmp(t, "tombstone"))
		return apply_tomb(l, v);
	if (in_log && (!strcmp(t, "rmitem") || !strcmp(t, "rmfolder")))
		return apply_rm(l, v, t[2] == 'i');
	if (in_log && !strcmp(t, "counters"))
		return apply_counters(l, v);
	return bad(l, "an unknown record type");
}

/* One change log line: its operations in order, unless the snapshot holds it. */
static int
apply_txn(struct load *l, yajl_val v)
{
	yajl_val ops = mbx_json_get(v, "ops");
	long long lsn;
	size_t i;

	if (num(v, "lsn", &lsn) < 0 || !ops || !YAJL_IS_ARRAY(ops))
		return bad(l, "a change log line needs lsn and ops");
	if ((uint64_t)lsn <= l->lsn)
		return 0;
	if ((uint64_t)lsn != l->lsn + 1)
		return bad(l, "a change log line out of sequence");
	for (i = 0; i < ops->u.array.len; i++)
		if (apply(l, ops->u.array.values[i], 1) < 0)
			return -1;
	l->lsn = (uint64_t)lsn;
	l->applied++;
	return 0;
}

/* One line: 1 whole (its newline cut), 2 torn (no newline at the end of the file), 0 the
 * end, -1 a read error or a line over the bound. */
static int
next_line(FILE *f, char **line, size_t *cap, size_t *len)
{
	ssize_t k = getline(line, cap, f);

	if (k < 0)
		return ferror(f) ? -1 : 0;
	*len = (size_t)k;
	if ((size_t)k > LINE_MAX_BYTES)
		return -1;
	if ((*line)[k - 1] != '\n')
		return 2;
	(*line)[--*len] = '\0';
	return 1;
}

/* Our lines nest 4 deep: one deeper than 32 is corrupt, and yajl's tree free would
 * recurse once per level (lib/json.c guards its parser the same way). */
static int
shallow(const char *s, size_t n)
{
	size_t i;
	int depth = 0, in_str = 0;

	for (i = 0; i < n; i++) {
		if (in_str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_str = 0;
		} else if (s[i] == '"') {
			in_str = 1;
		} else if ((s[i] == '{' || s[i] == '[') && ++depth > 32) {
			return 0;
		} else if (s[i] == '}' || s[i] == ']') {
			depth--;
		}
	}
	return 1;
}

/* A whole line as a tree, parsed in place (a line may hold a stream's base64: no
 * copy of it is made before the tree's). */
static yajl_val
parse_line(const char *line, size_t len)
{
	char e[128];

	return strlen(line) == len && shallow(line, len) ? yajl_tree_parse(line, e, sizeof e)
							 : NULL;
}

/* Read path a line at a time. log: a last line without its newline is torn (dropped,
 * with a warning); otherwise every line must be whole and apply. */
static int
read_lines(struct load *l, const char *path, int log, char *err, size_t n)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, len = 0;
	unsigned long no = 0;
	int got, rc = 0;
	yajl_val v;

	if (!f && log && errno == ENOENT)
		return 0;
	if (!f) {
		snprintf(err, n, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (got = next_line(f, &line, &cap, &len)) != 0) {
		no++;
		if (got < 0) {
			snprintf(err, n, "cannot read '%s' (line %lu): %s", path, no,
				 ferror(f) ? strerror(errno) : "a line over 1 GiB");
			rc = -1;
			break;
		}
		if (got == 2 && log && *line == '\0')    /* the zeros written ahead */
			break;
		if (got == 2 && log) {       /* SIGKILL while it was written: never acknowledged */
			mbx_warn("%s:%lu: a torn last change (%zu bytes) dropped", path, no,
				 strnlen(line, len));
			break;
		}
		v = got == 1 ? parse_line(line, len) : NULL;
		rc = !v || !YAJL_IS_OBJECT(v) ? bad(l, "not a whole JSON object")
		     : log ? apply_txn(l, v) : apply(l, v, 0);
		yajl_tree_free(v);
		if (rc < 0)
			snprintf(err, n, "%s:%lu: %s", path, no, l->why);
	}
	free(line);
	fclose(f);
	return rc;
}

/* The first line says which format the snapshot has: 2, or 1 (a seed file). */
static int
format_of(const char *path)
{
	FILE *f = fopen(path, "r");
	char head[512];
	int two = f && fgets(head, sizeof head, f) && strstr(head, "\"format\":2");

	if (f)
		fclose(f);
	return two ? 2 : 1;
}

static void
load_free(struct load *l)
{
	size_t i;

	for (i = 0; i < l->capblobs; i++)
		gd_blob_unref(l->blobs[i].b);
	free(l->blobs);
}

/* The snapshot holds everything and stays: its streams are in the current generation
 * of the state files, which new ones are not. */
static void
keep_snapshot(struct load *l)
{
	size_t i;

	l->s->save_gen = 1;
	for (i = 0; i < l->capblobs; i++)
		if (l->blobs[i].b)
			l->blobs[i].b->gen = 1;
}

int
gd_state_load(struct gd_store *s, const char *dir, uint64_t *lsn, int *current, char *err,
	      size_t n)
{
	char snap[4096], log[4096];
	struct load l;
	int rc;

	*lsn = 0;
	*current = 0;
	snprintf(snap, sizeof snap, "%s/store.ndjson", dir);
	snprintf(log, sizeof log, "%s/store.log", dir);
	if (access(snap, F_OK) != 0)
		return 0;
	if (format_of(snap) == 1)
		return gd_seed(s, snap, err, n) < 0 ? -1 : 1;
	memset(&l, 0, sizeof l);
	l.s = s;
	rc = read_lines(&l, snap, 0, err, n);
	if (rc == 0)
		rc = read_lines(&l, log, 1, err, n);
	if (rc == 0 && l.applied == 0) {
		keep_snapshot(&l);
		*current = 1;
	}
	load_free(&l);
	if (rc < 0)
		return -1;
	/* exactly the numbers of the last change: what replay made does not count */
	s->idseq = (uint64_t)l.idseq;
	s->cseq = (uint64_t)l.cseq;
	s->delta_epoch = (long)l.epoch;
	s->blobseq = (unsigned long)l.blobseq;
	*lsn = l.lsn;
	return 1;
}
