/* seed.c: --seed FILE, NDJSON records that describe a tenant (mbx-graphd(1) SEED FILE). */
#include <stdlib.h>
#include <string.h>
#include "graphd.h"

struct seedctx {
	struct gd_store *s;
	const char *file;
	unsigned long line;
	char *err;
	size_t n;
};

static int
bad(struct seedctx *c, const char *why)
{
	snprintf(c->err, c->n, "%s:%lu: %s", c->file, c->line, why);
	return -1;
}

static char *
read_file(const char *path, size_t max)
{
	struct mbx_buf b;
	char chunk[4096];
	size_t k;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	mbx_buf_init(&b, max);
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (mbx_buf_append(&b, chunk, k) < 0)
			break;
	fclose(f);
	return mbx_buf_steal(&b);
}

static int
seed_tenant(struct seedctx *c, yajl_val v)
{
	const char *id = mbx_json_str(v, "id"), *dom = mbx_json_str(v, "domain");

	if (!id || !dom)
		return bad(c, "a tenant needs \"id\" and \"domain\"");
	if (c->s->tenant_id)
		return bad(c, "a second tenant: one emulator serves one tenant");
	c->s->tenant_id = mbx_strdup(id);
	c->s->domain = mbx_strdup(dom);
	{
		long long seq;
		if (mbx_json_num(v, "idseq", &seq) == 0)    /* a saved state (state.c) */
			c->s->idseq = (uint64_t)seq;
		if (mbx_json_num(v, "cseq", &seq) == 0)
			c->s->cseq = (uint64_t)seq;
		if (mbx_json_num(v, "deltaEpoch", &seq) == 0)
			c->s->delta_epoch = (long)seq;
	}
	return 0;
}

static int seed_app(struct seedctx *c, yajl_val v);

int
gd_seed_app(struct gd_store *s, yajl_val v, char *why, size_t n)
{
	struct seedctx c = { s, "", 0, why, n };
	char e[512];

	c.err = e;
	c.n = sizeof e;
	if (seed_app(&c, v) == 0)
		return 0;
	/* bad() prefixed the empty file name and line: keep what follows */
	mbx_strlcpy(why, strstr(e, ": ") ? strstr(e, ": ") + 2 : e, n);
	return -1;
}

static int
seed_app(struct seedctx *c, yajl_val v)
{
	const char *id = mbx_json_str(v, "clientId"), *cert = mbx_json_str(v, "certificate");
	const char *certfile = mbx_json_str(v, "certificateFile");
	yajl_val roles = mbx_json_get(v, "roles");
	const char *rv[64];
	char *pem = NULL;
	size_t i, nr = 0;

	if (!id)
		return bad(c, "an app needs \"clientId\"");
	if (roles && !YAJL_IS_ARRAY(roles))
		return bad(c, "\"roles\" must be an array of strings");
	for (i = 0; roles && i < roles->u.array.len && nr < 64; i++)
		if (YAJL_IS_STRING(roles->u.array.values[i]))
			rv[nr++] = roles->u.array.values[i]->u.string;
	if (certfile && !(pem = read_file(certfile, 1 << 20)))
		return bad(c, "cannot read \"certificateFile\"");
	gd_app_add(c->s, id, mbx_json_str(v, "secret"), pem ? pem : cert, rv, nr,
		   mbx_json_bool(v, "publicClient"));
	free(pem);
	return 0;
}

static int
seed_user(struct seedctx *c, yajl_val v)
{
	const char *upn = mbx_json_str(v, "upn");
	struct gd_user *u;
	yajl_val mb;

	if (!upn || !strchr(upn, '@'))
		return bad(c, "a user needs \"upn\" (user@domain)");
	if (!c->s->tenant_id)
		return bad(c, "a user before the tenant record");
	if (gd_user_find(c->s, upn))
		return bad(c, "duplicate user");
	mb = mbx_json_get(v, "mailbox");
	if (mb && !YAJL_IS_TRUE(mb) && !YAJL_IS_FALSE(mb))
		return bad(c, "\"mailbox\" must be true or false");
	u = gd_user_add(c->s, upn, mbx_json_str(v, "id"), mbx_json_str(v, "displayName"),
			mbx_json_str(v, "mail"));
	if (!mb || YAJL_IS_TRUE(mb))          /* false: no Exchange Online mailbox */
		gd_user_mailboxes(c->s, u, mbx_json_str(v, "primaryMailboxId"),
				  mbx_json_str(v, "archiveMailboxId"), mbx_json_bool(v, "archive"));
	return 0;
}

static struct gd_mailbox *
target_mailbox(struct seedctx *c, yajl_val v)
{
	const char *m = mbx_json_str(v, "mailbox"), *u = mbx_json_str(v, "user");
	struct gd_user *usr;

	if (m)
		return gd_mailbox_find(c->s, m);
	usr = u ? gd_user_find(c->s, u) : NULL;
	return usr ? usr->primary : NULL;
}

static void saved_seq(yajl_val v, uint64_t *seq);

static int
seed_folder(struct seedctx *c, yajl_val v)
{
	struct gd_mailbox *m = target_mailbox(c, v);
	const char *path = mbx_json_str(v, "path"), *id = mbx_json_str(v, "id");
	struct gd_folder *f;

	if (!m)
		return bad(c, "a folder needs a known \"mailbox\" or \"user\"");
	if (!path || !(f = gd_folder_path(m, path, mbx_json_str(v, "class"))))
		return bad(c, "a folder needs a \"path\" like \"/Inbox/Projects\"");
	if (id) {
		free(f->id);
		f->id = mbx_strdup(id);
	}
	saved_seq(v, &f->seq);
	return 0;
}

/* A saved state's change sequence number replaces the new one (delta tokens). */
static void
saved_seq(yajl_val v, uint64_t *seq)
{
	long long s;

	if (mbx_json_num(v, "seq", &s) == 0 && s > 0)
		*seq = (uint64_t)s;
}

static int
seed_tomb(struct seedctx *c, yajl_val v)
{
	struct gd_mailbox *m = target_mailbox(c, v);
	long long seq = 0;

	if (!m || !mbx_json_str(v, "id") || mbx_json_num(v, "seq", &seq) < 0)
		return bad(c, "a tombstone needs \"mailbox\", \"id\" and \"seq\"");
	gd_tomb_add(m, mbx_json_str(v, "id"), mbx_json_str(v, "parent"),
		    mbx_json_bool(v, "item"), (uint64_t)seq);
	return 0;
}

/* An item from a "message" description, generated now and stored as bytes. */
static int
message_stream(yajl_val msg, const char *cls, struct mbx_buf *out)
{
	struct fx_recip to[32];
	struct fx_attach at[16];
	struct fx_msg m;
	yajl_val from = mbx_json_get(msg, "from"), list = mbx_json_get(msg, "to");
	yajl_val atts = mbx_json_get(msg, "attachments");
	size_t i;

	memset(&m, 0, sizeof m);
	m.message_class = cls;
	m.subject = mbx_json_str(msg, "subject");
	m.body = mbx_json_str(msg, "body");
	m.sender_name = mbx_json_str(from, "name");
	m.sender_address = mbx_json_str(from, "address");
	m.flags = 1;
	for (i = 0; list && YAJL_IS_ARRAY(list) && i < list->u.array.len && i < 32; i++) {
		to[i].name = mbx_json_str(list->u.array.values[i], "name");
		to[i].address = mbx_json_str(list->u.array.values[i], "address");
		to[i].type = 1;
		m.nrecips++;
	}
	for (i = 0; atts && YAJL_IS_ARRAY(atts) && i < atts->u.array.len && i < 16; i++) {
		const char *t = mbx_json_str(atts->u.array.values[i], "text");
		at[i].name = mbx_json_str(atts->u.array.values[i], "name");
		at[i].mime = mbx_json_str(atts->u.array.values[i], "mime");
		at[i].data = t ? t : "";
		at[i].len = t ? strlen(t) : 0;
		m.nattachs++;
	}
	m.recips = to;
	m.attachs = at;
	return fx_generate(out, &m);
}

/* Ids and change key given in the record (a saved state) replace the new ones. */
static void
item_ids(struct gd_item *it, yajl_val v)
{
	if (mbx_json_str(v, "id"))
		gd_item_set_id(it, mbx_json_str(v, "id"));
	if (mbx_json_str(v, "changeKey")) {
		free(it->change_key);
		it->change_key = mbx_strdup(mbx_json_str(v, "changeKey"));
	}
	saved_seq(v, &it->seq);
}

static void
item_categories(struct gd_item *it, yajl_val cats)
{
	size_t i;

	for (i = 0; cats && YAJL_IS_ARRAY(cats) && i < cats->u.array.len; i++) {
		if (!YAJL_IS_STRING(cats->u.array.values[i]))
			continue;
		it->cats = mbx_xrealloc(it->cats, (it->ncats + 1) * sizeof *it->cats);
		it->cats[it->ncats++] = mbx_strdup(cats->u.array.values[i]->u.string);
	}
}

/* A generated item of a saved state: its generator parameters, not its bytes. */
static int
generated_item(struct seedctx *c, yajl_val v, struct gd_folder *f, const char *cls,
	       yajl_val gen)
{
	long long seed, low = 0, size;
	struct gd_item *it;

	if (mbx_json_num(gen, "seed", &seed) < 0 || mbx_json_num(gen, "size", &size) < 0)
		return bad(c, "\"generated\" needs \"seed\" and \"size\"");
	mbx_json_num(gen, "low", &low);
	it = gd_item_add(c->s, f, cls, mbx_json_str(v, "createdDateTime"),
			 mbx_json_str(v, "lastModifiedDateTime"));
	it->gen_seed = (uint64_t)seed << 1 | (uint64_t)(low & 1);
	it->gen_size = (size_t)size;
	item_ids(it, v);
	item_categories(it, mbx_json_get(v, "categories"));
	return 0;
}

static int
seed_item(struct seedctx *c, yajl_val v)
{
	struct gd_mailbox *m = target_mailbox(c, v);
	const char *path = mbx_json_str(v, "folder"), *data = mbx_json_str(v, "data");
	const char *cls = mbx_json_str(v, "class") ? mbx_json_str(v, "class") : "IPM.Note";
	yajl_val msg = mbx_json_get(v, "message"), cats = mbx_json_get(v, "categories");
	yajl_val gen = mbx_json_get(v, "generated");
	struct gd_folder *f;
	struct gd_item *it;
	struct mbx_buf b;
	int rc;

	if (!m)
		return bad(c, "an item needs a known \"mailbox\" or \"user\"");
	if (!path || !(f = *path == '/' ? gd_folder_path(m, path, NULL) : gd_folder_find(m, path)))
		return bad(c, "an item needs a \"folder\" path or well-known name");
	if (gen && YAJL_IS_OBJECT(gen))
		return generated_item(c, v, f, cls, gen);
	if (!data && !(msg && YAJL_IS_OBJECT(msg)))
		return bad(c, "an item needs \"message\" or base64 \"data\"");
	mbx_buf_init(&b, 0);
	rc = data ? mbx_b64_decode(&b, data, strlen(data)) : message_stream(msg, cls, &b);
	if (rc < 0) {
		mbx_buf_free(&b);
		return bad(c, "\"data\" is not valid base64");
	}
	if ((long long)b.len > c->s->item_max) {
		mbx_buf_free(&b);
		return bad(c, "an item's stream is larger than the largest an import takes");
	}
	it = gd_item_add(c->s, f, cls, mbx_json_str(v, "createdDateTime"),
			 mbx_json_str(v, "lastModifiedDateTime"));
	{
		size_t len = b.len;
		struct gd_blob *blob = gd_blob_new(mbx_buf_steal(&b), len);
		gd_item_set_blob(it, blob);
		gd_blob_unref(blob);
	}
	item_ids(it, v);
	item_categories(it, cats);
	return 0;
}

static int
seed_record(struct seedctx *c, yajl_val v)
{
	const char *t = mbx_json_str(v, "type");

	if (!t)
		return bad(c, "record without \"type\"");
	if (!strcmp(t, "tenant"))
		return seed_tenant(c, v);
	if (!strcmp(t, "app"))
		return seed_app(c, v);
	if (!strcmp(t, "user"))
		return seed_user(c, v);
	if (!strcmp(t, "folder"))
		return seed_folder(c, v);
	if (!strcmp(t, "item"))
		return seed_item(c, v);
	if (!strcmp(t, "tombstone"))
		return seed_tomb(c, v);
	return bad(c, "unknown record type (tenant, app, user, folder, item, tombstone)");
}

int
gd_seed(struct gd_store *s, const char *file, char *err, size_t n)
{
	struct seedctx c = { s, file, 0, err, n };
	struct mbx_reader r;
	char e[512];
	yajl_val v;
	int rc = 0, got;
	FILE *f = fopen(file, "r");

	if (!f) {
		snprintf(err, n, "cannot open seed file '%s'", file);
		return -1;
	}
	mbx_reader_init(&r, f, file, 64 << 20);
	while (rc == 0 && (got = mbx_reader_next(&r, &v, e, sizeof e)) != 0) {
		c.line = r.lineno;
		if (got < 0) {
			snprintf(err, n, "%s", e);
			rc = -1;
			break;
		}
		rc = seed_record(&c, v);
		yajl_tree_free(v);
	}
	mbx_reader_free(&r);
	fclose(f);
	return rc;
}
