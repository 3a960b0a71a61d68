/* store.c: the emulator's mailboxes, folders and items, held in memory under one mutex.
 * Ids are deterministic (a counter through a hash), base64-like with '+', '/' and '=' so
 * that clients must escape them (graph-api.md 3.0). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "graphd.h"

#define GROW(arr, n, cap) do { \
	if ((n) == (cap)) { \
		(cap) = (cap) ? 2 * (cap) : 8; \
		(arr) = mbx_xrealloc((arr), (cap) * sizeof *(arr)); \
	} } while (0)

void
gd_store_init(struct gd_store *s)
{
	memset(s, 0, sizeof *s);
	pthread_mutex_init(&s->mu, NULL);
	s->concurrency = 4;
	s->page_size = 10;
	s->upload_bytes = 150LL << 20;     /* 150 MB per 5 minutes (graph-api.md 7) */
	s->upload_window = 300;
	s->import_lifetime = 3600;        /* undocumented; 8.6 suggests an hour */
	s->item_max = 150LL << 20;        /* 8.9: the service's message-size ceiling */
}

void
gd_store_lock(struct gd_store *s)
{
	pthread_mutex_lock(&s->mu);
}

void
gd_store_unlock(struct gd_store *s)
{
	gd_log_commit(s);
	pthread_mutex_unlock(&s->mu);
}

/* splitmix64: a deterministic stream of ids and choices */
uint64_t gd_mix(uint64_t x);
uint64_t
gd_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

char *
gd_next_id(struct gd_store *s, const char *prefix)
{
	unsigned char raw[18];
	uint64_t a = gd_mix(++s->idseq), b = gd_mix(a ^ s->idseq);
	struct mbx_buf out;
	int i;

	for (i = 0; i < 8; i++) {
		raw[i] = (unsigned char)(a >> (8 * i));
		raw[8 + i] = (unsigned char)(b >> (8 * i));
	}
	raw[16] = (unsigned char)(s->idseq >> 8);
	raw[17] = (unsigned char)s->idseq;
	mbx_buf_init(&out, 0);
	mbx_buf_puts(&out, prefix);
	mbx_b64_encode(&out, raw, 16 + (s->idseq % 3));   /* some end in '=' */
	return mbx_buf_steal(&out);
}

static char *
guid(struct gd_store *s)
{
	uint64_t a = gd_mix(++s->idseq), b = gd_mix(a);
	char g[40];

	snprintf(g, sizeof g, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
		 (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
		 (unsigned)(0x8000 | ((b >> 48) & 0x3fff)), (unsigned long long)(b & 0xffffffffffffULL));
	return mbx_strdup(g);
}

struct gd_user *
gd_user_find(struct gd_store *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->nusers; i++)
		if (strcasecmp(s->users[i]->upn, key) == 0 || strcasecmp(s->users[i]->id, key) == 0)
			return s->users[i];
	return NULL;
}

struct gd_mailbox *
gd_mailbox_find(struct gd_store *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->nmbxs; i++)
		if (strcasecmp(s->mbxs[i]->id, id) == 0)
			return s->mbxs[i];
	return NULL;
}

static struct gd_folder *
folder_find(struct gd_mailbox *m, const char *key, int any_wk)
{
	size_t i;

	for (i = 0; i < m->nall; i++)
		if (strcmp(m->all[i]->id, key) == 0)
			return m->all[i];
	for (i = 0; i < m->nall; i++)
		if (m->all[i]->wk && strcasecmp(m->all[i]->wk, key) == 0 &&
		    (any_wk || gd_wk_allowed(m->store, m->all[i]->wk)))
			return m->all[i];
	return NULL;
}

struct gd_folder *
gd_folder_find(struct gd_mailbox *m, const char *key)
{
	return folder_find(m, key, 1);
}

struct gd_folder *
gd_folder_lookup(struct gd_mailbox *m, const char *key)
{
	return folder_find(m, key, 0);
}

int
gd_wk_allowed(const struct gd_store *s, const char *name)
{
	size_t i;

	if (!s->wk_names)
		return 1;
	for (i = 0; i < s->nwk_names; i++)
		if (strcasecmp(s->wk_names[i], name) == 0)
			return 1;
	return 0;
}

struct gd_item *
gd_item_find(struct gd_folder *f, const char *id)
{
	size_t i;

	for (i = 0; i < f->nitems; i++)
		if (strcmp(f->items[i]->id, id) == 0)
			return f->items[i];
	return NULL;
}

struct gd_folder *
gd_folder_add(struct gd_mailbox *m, struct gd_folder *parent, const char *name,
	      const char *wk, const char *cls)
{
	struct gd_folder *f = mbx_xcalloc(1, sizeof *f);

	f->id = gd_next_id(m->store, "AAMkADNmZjI1AC4AAAAAA");
	f->name = mbx_strdup(name);
	f->wk = mbx_strdup(wk);
	f->cls = mbx_strdup(cls ? cls : "IPF.Note");
	f->parent = parent;
	f->mbx = m;
	f->seq = gd_touch(m->store);
	if (parent) {
		GROW(parent->kids, parent->nkids, parent->capkids);
		parent->kids[parent->nkids++] = f;
	}
	GROW(m->all, m->nall, m->capall);
	m->all[m->nall++] = f;
	gd_log_folder(m->store, f);
	return f;
}

void
gd_folder_rename(struct gd_folder *f, const char *name)
{
	free(f->name);
	f->name = mbx_strdup(name);
	f->seq = gd_touch(f->mbx->store);
	gd_log_folder(f->mbx->store, f);
}

/* The standard folders of a primary mailbox, and of an archive (graph-api.md 3.0). */
static const struct { const char *name, *wk, *cls; } primary_folders[] = {
	{ "Inbox", "inbox", "IPF.Note" }, { "Drafts", "drafts", "IPF.Note" },
	{ "Sent Items", "sentitems", "IPF.Note" }, { "Deleted Items", "deleteditems", "IPF.Note" },
	{ "Junk Email", "junkemail", "IPF.Note" }, { "Outbox", "outbox", "IPF.Note" },
	{ "Archive", "archive", "IPF.Note" },
	{ "Conversation History", "conversationhistory", "IPF.Note" },
};

struct gd_mailbox *
gd_mailbox_add(struct gd_store *s, const char *id, const char *user, const char *kind,
	       int bare)
{
	struct gd_mailbox *m = mbx_xcalloc(1, sizeof *m);
	struct gd_folder *r;
	size_t i;

	m->store = s;
	if (id) {
		m->id = mbx_strdup(id);
	} else {
		char *g = guid(s), buf[160];
		snprintf(buf, sizeof buf, "MBX:%s@%s", g, s->tenant_id);
		m->id = mbx_strdup(buf);
		free(g);
	}
	m->user = mbx_strdup(user);
	m->kind = mbx_strdup(kind);
	s->mbxs = mbx_xrealloc(s->mbxs, (s->nmbxs + 1) * sizeof *s->mbxs);
	s->mbxs[s->nmbxs++] = m;
	if (bare)
		return m;
	r = m->root = gd_folder_add(m, NULL, "Top of Information Store", "msgfolderroot", "IPF.Note");
	r->hidden = 1;
	if (strcmp(kind, "auxarchive") == 0) {
		;                                /* holds expanded folders only (3.17) */
	} else if (strcmp(kind, "archive") == 0) {
		gd_folder_add(m, r, "Deleted Items", "archivedeleteditems", "IPF.Note");
	} else {
		for (i = 0; i < sizeof primary_folders / sizeof primary_folders[0]; i++)
			gd_folder_add(m, r, primary_folders[i].name, primary_folders[i].wk,
				      primary_folders[i].cls);
	}
	gd_folder_add(m, r, "Deletions", "recoverableitemsdeletions", "IPF.Note")->hidden = 1;
	return m;
}

struct gd_user *
gd_user_add(struct gd_store *s, const char *upn, const char *id, const char *name,
	    const char *mail)
{
	struct gd_user *u = mbx_xcalloc(1, sizeof *u);
	size_t at = strcspn(upn, "@");

	u->upn = mbx_strdup(upn);
	u->id = id ? mbx_strdup(id) : guid(s);
	u->name = name ? mbx_strdup(name) : mbx_strndup(upn, at);
	u->mail = mbx_strdup(mail);
	s->users = mbx_xrealloc(s->users, (s->nusers + 1) * sizeof *s->users);
	s->users[s->nusers++] = u;
	return u;
}

void
gd_user_mailboxes(struct gd_store *s, struct gd_user *u, const char *primary,
		  const char *archive, int with_archive)
{
	u->primary = gd_mailbox_add(s, primary, u->upn, "primary", 0);
	if (with_archive || archive)
		u->archive = gd_mailbox_add(s, archive, u->upn, "archive", 0);
	if (!u->mail)                 /* an Exchange Online mailbox: mail is its address */
		u->mail = mbx_strdup(u->upn);
}

/* An auxiliary archive mailbox of an archive (graph-api.md 3.17). */
struct gd_mailbox *
gd_aux_add(struct gd_store *s, struct gd_mailbox *main)
{
	struct gd_mailbox *a = gd_mailbox_add(s, NULL, main->user, "auxarchive", 0);

	a->main = main;
	return a;
}

/* f's items move to a folder with f's id in aux; reads of f on the archive redirect. */
/* ---------------------------------------------------------------- the id index */

static size_t
id_hash(const char *s)
{
	size_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void index_put(struct gd_mailbox *m, struct gd_item *it);

static void
index_grow(struct gd_mailbox *m)
{
	struct gd_item **old = m->index;
	size_t i, cap = m->index_cap;

	m->index_cap = cap ? 2 * cap : 64;
	m->index = mbx_xcalloc(m->index_cap, sizeof *m->index);
	m->index_n = 0;
	for (i = 0; i < cap; i++)
		if (old[i])
			index_put(m, old[i]);
	free(old);
}

/* Open addressing with linear probing, at most half full. */
static void
index_put(struct gd_mailbox *m, struct gd_item *it)
{
	size_t h;

	if (2 * (m->index_n + 1) > m->index_cap)
		index_grow(m);
	for (h = id_hash(it->id) & (m->index_cap - 1); m->index[h]; h = (h + 1) & (m->index_cap - 1))
		;
	m->index[h] = it;
	m->index_n++;
}

/* Remove it, moving later entries of its probe run back (no tombstones needed). */
static void
index_del(struct gd_mailbox *m, const struct gd_item *it)
{
	size_t mask = m->index_cap - 1, h, j, want;

	if (!m->index_cap)
		return;
	for (h = id_hash(it->id) & mask; m->index[h] && m->index[h] != it; h = (h + 1) & mask)
		;
	if (!m->index[h])
		return;
	m->index[h] = NULL;
	m->index_n--;
	for (j = (h + 1) & mask; m->index[j]; j = (j + 1) & mask) {
		want = id_hash(m->index[j]->id) & mask;
		/* the entry at j may fill the hole at h unless its home lies in (h, j] */
		if ((j > h && (want <= h || want > j)) || (j < h && want <= h && want > j)) {
			m->index[h] = m->index[j];
			m->index[j] = NULL;
			h = j;
		}
	}
}

struct gd_item *
gd_mailbox_item(struct gd_mailbox *m, const char *id)
{
	size_t h;

	if (!m->index_cap)
		return NULL;
	for (h = id_hash(id) & (m->index_cap - 1); m->index[h]; h = (h + 1) & (m->index_cap - 1))
		if (strcmp(m->index[h]->id, id) == 0)
			return m->index[h];
	return NULL;
}

/* ---------------------------------------------------------------- items */

static void
attach(struct gd_item *it, struct gd_folder *f)
{
	it->folder = f;
	GROW(f->items, f->nitems, f->capitems);
	f->items[f->nitems++] = it;
	index_put(f->mbx, it);
}

static void
detach(struct gd_item *it)
{
	struct gd_folder *f = it->folder;
	size_t i;

	for (i = 0; i < f->nitems; i++)
		if (f->items[i] == it) {
			memmove(&f->items[i], &f->items[i + 1], (f->nitems - i - 1) * sizeof *f->items);
			f->nitems--;
			break;
		}
	index_del(f->mbx, it);
}

/* f's items move to a folder with f's id in aux; reads of f on the archive redirect. */
void
gd_folder_expand(struct gd_folder *f, struct gd_mailbox *aux)
{
	struct gd_folder *af = gd_folder_add(aux, aux->root, f->name, NULL, f->cls);

	free(af->id);
	af->id = mbx_strdup(f->id);
	while (f->nitems)
		gd_item_move(f->items[0], af);
	f->aux = aux;
}

void
gd_item_move(struct gd_item *it, struct gd_folder *f)
{
	detach(it);
	attach(it, f);
}

struct gd_item *
gd_item_add(struct gd_store *s, struct gd_folder *f, const char *cls, const char *created,
	    const char *modified)
{
	struct gd_item *it = mbx_xcalloc(1, sizeof *it);

	it->id = gd_next_id(s, "AAMkADNmZjI1AEYAAAAAA");
	it->change_key = gd_next_id(s, "CQAAABYAAAB");
	it->cls = mbx_strdup(cls ? cls : "IPM.Note");
	it->created = mbx_strdup(created ? created : "2026-01-01T00:00:00Z");
	it->modified = mbx_strdup(modified ? modified : it->created);
	it->seq = gd_touch(s);
	attach(it, f);
	gd_log_item(s, it);
	return it;
}

/* A copy of it in f under a new id and changeKey, as a move or soft delete makes: the
 * same content (stream, categories, class, created time). */
struct gd_item *
gd_item_copy(struct gd_store *s, const struct gd_item *it, struct gd_folder *f,
	     const char *modified)
{
	struct gd_item *c = gd_item_add(s, f, it->cls, it->created, modified);
	size_t i;

	c->gen_seed = it->gen_seed;
	c->gen_size = it->gen_size;
	c->cats = mbx_xcalloc(it->ncats + 1, sizeof *c->cats);
	for (i = 0; i < it->ncats; i++)
		c->cats[i] = mbx_strdup(it->cats[i]);
	c->ncats = it->ncats;
	if (it->blob)
		gd_item_set_blob(c, it->blob);
	else
		memcpy(c->sha256, it->sha256, sizeof c->sha256);
	c->len = it->len;
	return c;
}

void
gd_item_set_id(struct gd_item *it, const char *id)
{
	index_del(it->folder->mbx, it);
	free(it->id);
	it->id = mbx_strdup(id);
	index_put(it->folder->mbx, it);
}

void
gd_item_changed(struct gd_store *s, struct gd_item *it)
{
	it->seq = gd_touch(s);
	gd_log_item(s, it);
}

/* ---------------------------------------------------------------- blobs */

struct gd_blob *
gd_blob_new(void *bytes, size_t len)
{
	struct gd_blob *b = mbx_xcalloc(1, sizeof *b);

	b->refs = 1;
	b->len = len;
	b->bytes = bytes ? bytes : mbx_xcalloc(1, 1);
	mbx_sha256_hex(b->bytes, len, b->sha256);
	return b;
}

struct gd_blob *
gd_blob_ref(struct gd_blob *b)
{
	if (b)
		__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
	return b;
}

void
gd_blob_unref(struct gd_blob *b)
{
	if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(b->bytes);
		free(b);
	}
}

void
gd_item_set_blob(struct gd_item *it, struct gd_blob *b)
{
	gd_blob_ref(b);
	gd_blob_unref(it->blob);
	it->blob = b;
	it->len = b->len;
	memcpy(it->sha256, b->sha256, sizeof it->sha256);
	gd_log_item(it->folder->mbx->store, it);
}

struct gd_folder *
gd_folder_path(struct gd_mailbox *m, const char *path, const char *cls)
{
	struct gd_folder *cur = m->root;
	char **segs;
	size_t n, i, k;

	if (mbx_path_split(path, &segs, &n) < 0)
		return NULL;
	for (i = 0; i < n; i++) {
		struct gd_folder *next = NULL;
		for (k = 0; k < cur->nkids && !next; k++)
			if (strcasecmp(cur->kids[k]->name, segs[i]) == 0)
				next = cur->kids[k];
		cur = next ? next : gd_folder_add(m, cur, segs[i], NULL, cls);
	}
	mbx_path_free(segs, n);
	return cur;
}

void
gd_item_path(const struct gd_folder *f, struct mbx_buf *out)
{
	struct mbx_buf up;

	if (!f->parent) {
		mbx_buf_puts(out, "/");
		return;
	}
	mbx_buf_init(&up, 0);
	gd_item_path(f->parent, &up);
	mbx_path_append(out, up.data, f->name);
	mbx_buf_free(&up);
}


struct gd_app *
gd_app_add(struct gd_store *s, const char *client, const char *secret, const char *cert,
	   const char *const *roles, size_t nroles, int pub)
{
	struct gd_app *a = mbx_xcalloc(1, sizeof *a);
	size_t i;

	a->pub.client_id = mbx_strdup(client);
	a->pub.secret = mbx_strdup(secret);
	a->pub.cert_pem = mbx_strdup(cert);
	a->roles = mbx_xcalloc(nroles + 1, sizeof *a->roles);
	for (i = 0; i < nroles; i++)
		a->roles[i] = mbx_strdup(roles[i]);
	a->pub.roles = (const char *const *)a->roles;
	a->pub.nroles = nroles;
	a->pub.public_client = pub;
	s->apps = mbx_xrealloc(s->apps, (s->napps + 1) * sizeof *s->apps);
	s->apps[s->napps++] = a;
	return a;
}


/* ---------------------------------------------------------------- removals */

static void
item_free(struct gd_item *it)
{
	size_t i;

	gd_log_forget(it->folder->mbx->store, it);
	free(it->id);
	free(it->change_key);
	free(it->cls);
	free(it->created);
	free(it->modified);
	for (i = 0; i < it->ncats; i++)
		free(it->cats[i]);
	free(it->cats);
	gd_blob_unref(it->blob);
	free(it);
}

uint64_t
gd_touch(struct gd_store *s)
{
	return ++s->cseq;
}

void
gd_tomb_add(struct gd_mailbox *m, const char *id, const char *parent, int item, uint64_t seq)
{
	GROW(m->tombs, m->ntombs, m->captombs);
	m->tombs[m->ntombs].id = mbx_strdup(id);
	m->tombs[m->ntombs].parent = mbx_strdup(parent ? parent : "");
	m->tombs[m->ntombs].item = item;
	m->tombs[m->ntombs].seq = seq;
	gd_log_tomb(m->store, m, &m->tombs[m->ntombs]);
	m->ntombs++;
}

void
gd_item_drop(struct gd_item *it)
{
	detach(it);
	item_free(it);
}

void
gd_item_remove(struct gd_item *it)
{
	struct gd_folder *f = it->folder;

	gd_log_rmitem(f->mbx->store, it);
	gd_tomb_add(f->mbx, it->id, f->id, 1, gd_touch(f->mbx->store));
	gd_item_drop(it);
}

/* Forget f in m->all, free it and its items; its kids first. */
static void
folder_free_tree(struct gd_mailbox *m, struct gd_folder *f, int tombs)
{
	size_t i;

	for (i = 0; i < f->nkids; i++)
		folder_free_tree(m, f->kids[i], tombs);
	if (tombs)
		gd_tomb_add(m, f->id, f->parent ? f->parent->id : NULL, 0, gd_touch(m->store));
	for (i = 0; i < m->nall; i++)
		if (m->all[i] == f) {
			memmove(&m->all[i], &m->all[i + 1], (m->nall - i - 1) * sizeof *m->all);
			m->nall--;
			break;
		}
	for (i = 0; i < f->nitems; i++) {
		index_del(m, f->items[i]);
		item_free(f->items[i]);
	}
	free(f->items);
	free(f->kids);
	free(f->id);
	free(f->name);
	free(f->wk);
	free(f->cls);
	free(f);
}

static void
folder_unlink(struct gd_folder *f, int tombs)
{
	struct gd_folder *p = f->parent;
	size_t i;

	for (i = 0; p && i < p->nkids; i++)
		if (p->kids[i] == f) {
			memmove(&p->kids[i], &p->kids[i + 1], (p->nkids - i - 1) * sizeof *p->kids);
			p->nkids--;
			break;
		}
	if (f->mbx->root == f)
		f->mbx->root = NULL;
	folder_free_tree(f->mbx, f, tombs);
}

void
gd_folder_remove(struct gd_folder *f)
{
	gd_log_rmfolder(f->mbx->store, f);
	folder_unlink(f, 1);
}

void
gd_folder_drop(struct gd_folder *f)
{
	folder_unlink(f, 0);
}
