/* churn.c: POST /_admin/mailboxes/{id}/churn changes a mailbox the way a user's day does
 * (new items, edits, moves between folders, deletions), deterministically from a seed, so
 * that tests of incremental runs (delta, graph-api.md 5) have something to find. Moves
 * give the item a new id, as Exchange does without immutable ids. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "graphd.h"

uint64_t gd_mix(uint64_t x);

struct churn {
	struct gd_store *s;
	struct gd_mailbox *m;
	uint64_t rnd;
	struct gd_folder **folders;    /* visible, not the root */
	size_t nfolders;
	struct mbx_jw *w;
	char now[32];
};

static uint64_t
next(struct churn *c)
{
	return c->rnd = gd_mix(c->rnd);
}

static struct gd_folder *
any_folder(struct churn *c)
{
	return c->nfolders ? c->folders[next(c) % c->nfolders] : NULL;
}

/* A random item, or NULL when the mailbox has none. */
static struct gd_item *
any_item(struct churn *c)
{
	size_t i, total = 0, k;

	for (i = 0; i < c->nfolders; i++)
		total += c->folders[i]->nitems;
	if (!total)
		return NULL;
	k = next(c) % total;
	for (i = 0; k >= c->folders[i]->nitems; i++)
		k -= c->folders[i]->nitems;
	return c->folders[i]->items[k];
}

static void
add_one(struct churn *c)
{
	struct gd_folder *f = any_folder(c);
	struct gd_item *it;

	if (!f)
		return;
	it = gd_item_add(c->s, f, "IPM.Note", c->now, c->now);
	it->gen_seed = next(c) >> 1 << 1;
	it->gen_size = 2048 + next(c) % 4096;
	mbx_jw_str(c->w, it->id);
}

/* A new version: another changeKey, a new time and (for generated items) new bytes. */
static void
edit_one(struct churn *c)
{
	struct gd_item *it = any_item(c);

	if (!it)
		return;
	free(it->change_key);
	it->change_key = gd_next_id(c->s, "CQAAABYAAAB");
	free(it->modified);
	it->modified = mbx_strdup(c->now);
	if (!it->blob) {
		it->gen_seed ^= next(c) << 1;
		it->sha256[0] = '\0';              /* computed again when asked */
	}
	gd_item_changed(c->s, it);
	mbx_jw_str(c->w, it->id);
}

static void
move_one(struct churn *c)
{
	struct gd_item *it = any_item(c), *copy;
	struct gd_folder *to = any_folder(c);

	if (!it || !to || to == it->folder)
		return;
	copy = gd_item_copy(c->s, it, to, c->now);
	mbx_jw_obj(c->w);
	mbx_jw_kstr(c->w, "from", it->id);
	mbx_jw_kstr(c->w, "to", copy->id);
	mbx_jw_end(c->w);
	gd_item_remove(it);
}

static void
delete_one(struct churn *c)
{
	struct gd_item *it = any_item(c);

	if (!it)
		return;
	mbx_jw_str(c->w, it->id);
	gd_item_remove(it);
}

static void
run(struct churn *c, const char *what, long long n, void (*op)(struct churn *))
{
	mbx_jw_key(c->w, what);
	mbx_jw_arr(c->w);
	while (n-- > 0)
		op(c);
	mbx_jw_end(c->w);
}

/* spec: {"adds":N,"edits":N,"moves":N,"deletes":N,"seed":S}. Store locked. 0, -1 a bad
 * spec, -2 done but the answer did not fit out. */
int
gd_churn(struct gd_store *s, struct gd_mailbox *m, yajl_val spec, struct mbx_buf *out)
{
	struct churn c = { s, m, 0, NULL, 0, NULL, "" };
	long long adds = 0, edits = 0, moves = 0, dels = 0, seed = 1;
	struct mbx_jw w;
	time_t t = time(NULL);
	struct tm tm;
	size_t i;

	if (!spec || !YAJL_IS_OBJECT(spec))
		return -1;
	mbx_json_num(spec, "adds", &adds);
	mbx_json_num(spec, "edits", &edits);
	mbx_json_num(spec, "moves", &moves);
	mbx_json_num(spec, "deletes", &dels);
	mbx_json_num(spec, "seed", &seed);
	if (adds > 100000 || edits > 100000 || moves > 100000 || dels > 100000)
		return -1;
	c.rnd = gd_mix((uint64_t)seed ^ s->cseq);
	gmtime_r(&t, &tm);
	strftime(c.now, sizeof c.now, "%Y-%m-%dT%H:%M:%SZ", &tm);
	c.folders = mbx_xcalloc(m->nall + 1, sizeof *c.folders);
	for (i = 0; i < m->nall; i++)
		if (!m->all[i]->hidden && m->all[i]->parent)
			c.folders[c.nfolders++] = m->all[i];
	mbx_jw_init(&w, out);
	c.w = &w;
	mbx_jw_obj(&w);
	run(&c, "added", adds, add_one);
	run(&c, "edited", edits, edit_one);
	run(&c, "moved", moves, move_one);
	run(&c, "deleted", dels, delete_one);
	mbx_jw_end(&w);
	free(c.folders);
	return w.err ? -2 : 0;
}
