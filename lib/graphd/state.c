/* state.c: --state DIR. The store is saved as a seed file (store.ndjson) that also
 * carries ids, change keys and the generator's parameters, so a restart serves the same
 * mailboxes; it is written atomically (tmp + rename). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "graphd.h"

static void
put_line(FILE *f, struct mbx_buf *b)
{
	fwrite(b->data, 1, b->len, f);
	putc('\n', f);
	mbx_buf_reset(b);
}

static void
save_head(FILE *f, struct gd_store *s, struct mbx_buf *b)
{
	struct mbx_jw w;
	size_t i, k;

	mbx_jw_init(&w, b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "tenant");
	mbx_jw_kstr(&w, "id", s->tenant_id);
	mbx_jw_kstr(&w, "domain", s->domain);
	mbx_jw_kint(&w, "idseq", (long long)s->idseq);
	mbx_jw_kint(&w, "cseq", (long long)s->cseq);
	mbx_jw_kint(&w, "deltaEpoch", (long long)s->delta_epoch);
	mbx_jw_end(&w);
	put_line(f, b);
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
		put_line(f, b);
	}
}

static void
save_user(FILE *f, const struct gd_user *u, struct mbx_buf *b)
{
	struct mbx_jw w;

	mbx_jw_init(&w, b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "user");
	mbx_jw_kstr(&w, "upn", u->upn);
	mbx_jw_kstr(&w, "id", u->id);
	mbx_jw_kstr(&w, "primaryMailboxId", u->primary->id);
	if (u->archive)
		mbx_jw_kstr(&w, "archiveMailboxId", u->archive->id);
	mbx_jw_end(&w);
	put_line(f, b);
}

static void
save_item(FILE *f, const struct gd_mailbox *m, const struct gd_item *it, struct mbx_buf *b)
{
	struct mbx_jw w;
	size_t i;

	mbx_jw_init(&w, b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "item");
	mbx_jw_kstr(&w, "mailbox", m->id);
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
	if (it->data) {
		struct mbx_buf enc;
		mbx_buf_init(&enc, 0);
		mbx_b64_encode(&enc, it->data, it->len);
		mbx_jw_kstr(&w, "data", enc.data);
		mbx_buf_free(&enc);
	} else {
		mbx_jw_key(&w, "generated");
		mbx_jw_obj(&w);
		mbx_jw_kint(&w, "seed", (long long)(it->gen_seed >> 1));
		mbx_jw_kint(&w, "low", (long long)(it->gen_seed & 1));
		mbx_jw_kint(&w, "size", (long long)it->gen_size);
		mbx_jw_end(&w);
	}
	mbx_jw_end(&w);
	put_line(f, b);
}

static void
save_folders(FILE *f, const struct gd_mailbox *m, struct mbx_buf *b)
{
	struct mbx_buf path;
	struct mbx_jw w;
	size_t i;

	for (i = 0; i < m->nall; i++) {          /* the root too: its id is kept */
		mbx_buf_init(&path, 0);
		gd_item_path(m->all[i], &path);
		mbx_jw_init(&w, b);
		mbx_jw_obj(&w);
		mbx_jw_kstr(&w, "type", "folder");
		mbx_jw_kstr(&w, "mailbox", m->id);
		mbx_jw_kstr(&w, "path", path.data);
		mbx_jw_kstr(&w, "class", m->all[i]->cls);
		mbx_jw_kstr(&w, "id", m->all[i]->id);
		mbx_jw_kint(&w, "seq", (long long)m->all[i]->seq);
		mbx_jw_end(&w);
		put_line(f, b);
		mbx_buf_free(&path);
	}
	for (i = 0; i < m->nall; i++) {
		size_t k;
		for (k = 0; k < m->all[i]->nitems; k++)
			save_item(f, m, m->all[i]->items[k], b);
	}
	for (i = 0; i < m->ntombs; i++) {
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
		put_line(f, b);
	}
}

int
gd_state_save(struct gd_store *s, const char *dir, char *err, size_t n)
{
	char tmp[4096], final[4096];
	struct mbx_buf b;
	size_t i;
	FILE *f;
	int ok;

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
	mbx_buf_init(&b, 0);
	pthread_mutex_lock(&s->mu);
	save_head(f, s, &b);
	for (i = 0; i < s->nusers; i++)
		save_user(f, s->users[i], &b);
	for (i = 0; i < s->nmbxs; i++)
		save_folders(f, s->mbxs[i], &b);
	pthread_mutex_unlock(&s->mu);
	mbx_buf_free(&b);
	ok = !ferror(f) && fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0 || !ok || rename(tmp, final) < 0) {
		snprintf(err, n, "cannot write '%s': %s", final, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* 1 loaded, 0 no saved state, -1 a saved state that does not load (err). */
int
gd_state_load(struct gd_store *s, const char *dir, char *err, size_t n)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/store.ndjson", dir);
	if (access(path, F_OK) != 0)
		return 0;
	return gd_seed(s, path, err, n) < 0 ? -1 : 1;
}
