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

struct gd_folder *
gd_folder_find(struct gd_mailbox *m, const char *key)
{
	size_t i;

	for (i = 0; i < m->nall; i++)
		if (strcmp(m->all[i]->id, key) == 0 ||
		    (m->all[i]->wk && strcasecmp(m->all[i]->wk, key) == 0))
			return m->all[i];
	return NULL;
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
	return f;
}

/* The standard folders of a primary mailbox, and of an archive (graph-api.md 3.0). */
static const struct { const char *name, *wk, *cls; } primary_folders[] = {
	{ "Inbox", "inbox", "IPF.Note" }, { "Drafts", "drafts", "IPF.Note" },
	{ "Sent Items", "sentitems", "IPF.Note" }, { "Deleted Items", "deleteditems", "IPF.Note" },
	{ "Junk Email", "junkemail", "IPF.Note" }, { "Outbox", "outbox", "IPF.Note" },
	{ "Archive", "archive", "IPF.Note" },
	{ "Conversation History", "conversationhistory", "IPF.Note" },
};

static struct gd_mailbox *
mailbox_new(struct gd_store *s, const char *id, const char *user, const char *kind)
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
	s->mbxs = mbx_xrealloc(s->mbxs, (s->nmbxs + 1) * sizeof *s->mbxs);
	s->mbxs[s->nmbxs++] = m;
	return m;
}

struct gd_user *
gd_user_add(struct gd_store *s, const char *upn, const char *id, const char *primary,
	    const char *archive, int with_archive)
{
	struct gd_user *u = mbx_xcalloc(1, sizeof *u);

	u->upn = mbx_strdup(upn);
	u->id = id ? mbx_strdup(id) : guid(s);
	u->primary = mailbox_new(s, primary, upn, "primary");
	if (with_archive || archive)
		u->archive = mailbox_new(s, archive, upn, "archive");
	s->users = mbx_xrealloc(s->users, (s->nusers + 1) * sizeof *s->users);
	s->users[s->nusers++] = u;
	return u;
}

/* An auxiliary archive mailbox of an archive (graph-api.md 3.17). */
struct gd_mailbox *
gd_aux_add(struct gd_store *s, struct gd_mailbox *main)
{
	struct gd_mailbox *a = mailbox_new(s, NULL, main->user, "auxarchive");

	a->main = main;
	return a;
}

/* f's items move to a folder with f's id in aux; reads of f on the archive redirect. */
void
gd_folder_expand(struct gd_folder *f, struct gd_mailbox *aux)
{
	struct gd_folder *af = gd_folder_add(aux, aux->root, f->name, NULL, f->cls);
	size_t i;

	free(af->id);
	af->id = mbx_strdup(f->id);
	for (i = 0; i < f->nitems; i++) {
		f->items[i]->folder = af;
		GROW(af->items, af->nitems, af->capitems);
		af->items[af->nitems++] = f->items[i];
	}
	f->nitems = 0;
	f->aux = aux;
	f->mbx->store->idx_gen++;
}

/* The folder at a path of display names, created with its parents when missing. */
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
	it->folder = f;
	it->seq = gd_touch(s);
	GROW(f->items, f->nitems, f->capitems);
	f->items[f->nitems++] = it;
	return it;
}

int
gd_item_set_data(struct gd_item *it, const void *p, size_t n)
{
	free(it->data);
	it->data = mbx_xmalloc(n ? n : 1);
	memcpy(it->data, p, n);
	it->len = n;
	mbx_sha256_hex(p, n, it->sha256);
	return 0;
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

static size_t
id_hash(const char *s)
{
	size_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t
count_items(const struct gd_mailbox *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->nall; i++)
		n += m->all[i]->nitems;
	return n;
}

/* Rebuild the id index when the item count changed (items are added, ids replaced by a
 * saved state before the first lookup). */
static void
reindex(struct gd_mailbox *m, size_t n)
{
	size_t i, k, cap = 64;

	while (cap < 2 * n + 1)
		cap *= 2;
	free(m->index);
	m->index = mbx_xcalloc(cap, sizeof *m->index);
	m->index_cap = cap;
	m->index_items = n;
	m->index_gen = m->store->idx_gen;
	for (i = 0; i < m->nall; i++)
		for (k = 0; k < m->all[i]->nitems; k++) {
			struct gd_item *it = m->all[i]->items[k];
			size_t h = id_hash(it->id) & (cap - 1);
			while (m->index[h])
				h = (h + 1) & (cap - 1);
			m->index[h] = it;
		}
}

struct gd_item *
gd_mailbox_item(struct gd_mailbox *m, const char *id)
{
	size_t n = count_items(m), h;

	if (!m->index || n != m->index_items || m->index_gen != m->store->idx_gen)
		reindex(m, n);
	for (h = id_hash(id) & (m->index_cap - 1); m->index[h]; h = (h + 1) & (m->index_cap - 1))
		if (strcmp(m->index[h]->id, id) == 0)
			return m->index[h];
	return NULL;
}

static void
item_free(struct gd_item *it)
{
	size_t i;

	free(it->id);
	free(it->change_key);
	free(it->cls);
	free(it->created);
	free(it->modified);
	for (i = 0; i < it->ncats; i++)
		free(it->cats[i]);
	free(it->cats);
	free(it->data);
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
	m->tombs[m->ntombs++].seq = seq;
}

void
gd_item_remove(struct gd_item *it)
{
	struct gd_folder *f = it->folder;
	size_t i;

	for (i = 0; i < f->nitems; i++)
		if (f->items[i] == it) {
			memmove(&f->items[i], &f->items[i + 1], (f->nitems - i - 1) * sizeof *f->items);
			f->nitems--;
			break;
		}
	gd_tomb_add(f->mbx, it->id, f->id, 1, gd_touch(f->mbx->store));
	f->mbx->store->idx_gen++;
	item_free(it);
}

/* Forget f in m->all, free it and its items; its kids first. */
static void
folder_free_tree(struct gd_mailbox *m, struct gd_folder *f)
{
	size_t i;

	for (i = 0; i < f->nkids; i++)
		folder_free_tree(m, f->kids[i]);
	gd_tomb_add(m, f->id, f->parent ? f->parent->id : NULL, 0, gd_touch(m->store));
	for (i = 0; i < m->nall; i++)
		if (m->all[i] == f) {
			memmove(&m->all[i], &m->all[i + 1], (m->nall - i - 1) * sizeof *m->all);
			m->nall--;
			break;
		}
	for (i = 0; i < f->nitems; i++)
		item_free(f->items[i]);
	free(f->items);
	free(f->kids);
	free(f->id);
	free(f->name);
	free(f->wk);
	free(f->cls);
	free(f);
}

void
gd_folder_remove(struct gd_folder *f)
{
	struct gd_folder *p = f->parent;
	struct gd_mailbox *m = f->mbx;
	size_t i;

	for (i = 0; p && i < p->nkids; i++)
		if (p->kids[i] == f) {
			memmove(&p->kids[i], &p->kids[i + 1], (p->nkids - i - 1) * sizeof *p->kids);
			p->nkids--;
			break;
		}
	folder_free_tree(m, f);
	m->store->idx_gen++;      /* freed items may still sit in the id index */
}
