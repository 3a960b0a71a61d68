/* list.c: the listings of mbx-ls(1): the items of folders as item records, with
 * --since/--until and --delta state (mbx(7) "DELTA STATE"), and the mailboxes of users or
 * of the whole tenant. Each listing is sequential code: run in a task (task.c), many
 * mailboxes' listings go at once. Bare section numbers are those of docs/graph-api.md. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mbx.h"

/* One run's listings: the options, and with --delta the state of its one mailbox. */
struct mbx_list {
	struct mbx_graph *g;
	long page_size;                /* $top */
	char since[32], until[32];     /* normalised UTC, "" when not given */
	const char *delta_path;
	struct mbx_ilinks links;       /* --delta: the state (dstate.c) */
	char run_mailbox[192];         /* --delta: the one mailbox of this run */
	int walked;                    /* a whole mailbox was listed: unseen folders are gone */
};

struct mbx_list *
mbx_list_new(struct mbx_graph *g, const struct mbx_list_opts *o)
{
	struct mbx_ilinks links = { "", NULL, 0 };
	struct mbx_list *l;
	struct mbx_err e;

	/* loaded before anything is allocated: a state that cannot be used ends the program
	 * here, and the leak checker must not see an object that nothing points at */
	if (o->delta && mbx_ilinks_load(o->delta, &links, &e) < 0)
		mbx_die(mbx_exit_of(e.kind), "cannot use --delta '%s': %s", o->delta, e.msg);
	l = mbx_xcalloc(1, sizeof *l);
	l->g = g;
	l->page_size = o->page_size;
	mbx_strlcpy(l->since, o->since, sizeof l->since);
	mbx_strlcpy(l->until, o->until, sizeof l->until);
	l->delta_path = o->delta;
	l->links = links;
	return l;
}

void
mbx_list_free(struct mbx_list *l)
{
	if (!l)
		return;
	mbx_ilinks_free(&l->links);
	free(l);
}

/* The context of one folder's listing, stamped onto every item record. */
struct folder_ctx {
	struct mbx_list *l;
	const char *mailbox, *folder_id, *folder_path;
	unsigned long count;
};

/* --since/--until on lastModifiedDateTime: by the service when listing, by us in delta
 * rounds (items/delta filters only receivedDateTime, graph-api.md 3.11). */
static int
in_window(const struct mbx_list *l, yajl_val item)
{
	const char *t = mbx_json_str(item, "lastModifiedDateTime");

	if (!*l->since && !*l->until)
		return 1;
	return t && (!*l->since || strcmp(t, l->since) >= 0) &&
	       (!*l->until || strcmp(t, l->until) < 0);
}

static int
emit_item(void *ctx, yajl_val item)
{
	struct folder_ctx *f = ctx;

	if (f->l->delta_path && !in_window(f->l, item))
		return 0;
	mbx_item_emit(f->mailbox, f->folder_id, f->folder_path, item);
	f->count++;
	return 0;
}

/* The listing URL, with the service's $filter for --since/--until (3.9). */
static char *
items_url(const struct mbx_list *l, const char *mailbox, const char *folder_id, const char *top)
{
	struct mbx_buf f;
	char *url;

	if (!*l->since && !*l->until)
		return mbx_graph_url(l->g, "admin/exchange/mailboxes/%s/folders/%s/items?$top=%s",
				     mailbox, folder_id, top);
	mbx_buf_init(&f, 0);
	if (*l->since)
		mbx_buf_printf(&f, "lastModifiedDateTime ge %s", l->since);
	if (*l->until)
		mbx_buf_printf(&f, "%slastModifiedDateTime lt %s", *l->since ? " and " : "",
			       l->until);
	url = mbx_graph_url(l->g, "admin/exchange/mailboxes/%s/folders/%s/items?$top=%s"
			    "&$filter=%s", mailbox, folder_id, top, f.data);
	mbx_buf_free(&f);
	return url;
}

static int items_delta(struct mbx_list *l, const char *mailbox, const char *folder_id, const char *path,
		       yajl_val rec, const struct mbx_folder *walk);

static int
items_of(struct mbx_list *l, const char *mailbox, const char *folder_id, const char *folder_path)
{
	struct folder_ctx f = { l, mailbox, folder_id, folder_path, 0 };
	struct mbx_err e;
	char top[32];
	char *url;
	int rc;

	snprintf(top, sizeof top, "%ld", l->page_size);
	url = items_url(l, mailbox, folder_id, top);
	rc = mbx_graph_list(l->g, url, mailbox, emit_item, &f, &e) ? mbx_exit_of(e.kind) : 0;
	free(url);
	if (rc)
		mbx_report(rc, mailbox, folder_path, "ItemListFailed",
				 "cannot list items of '%s' in '%s': %s", folder_path, mailbox, e.msg);
	else
		mbx_debug("%s: %lu items", folder_path, f.count);
	return rc;
}

struct walk_ctx {
	struct mbx_list *l;
	int worst;
};

static int
walk_folder(void *ctx, const char *mailbox, const struct mbx_folder *f)
{
	struct walk_ctx *w = ctx;
	int rc = w->l->delta_path ? items_delta(w->l, mailbox, f->id, f->path, NULL, f)
		 : items_of(w->l, mailbox, f->id, f->path);

	w->worst = mbx_exit_worst(w->worst, rc);
	/* keep walking after one folder failed; stop on what fails every call */
	return rc == MBX_EXIT_PARTIAL ? 0 : rc;
}

/* The code of a walk's failure (mbx(7) ERROR CODES), the same in mbx-ls and mbx-folders:
 * a path that does not resolve, or a tree that could not be read. */
static const char *
walk_code(const struct mbx_err *e)
{
	return e->kind == MBX_ERR_NOTFOUND ? "FolderNotFound" : "FolderWalkFailed";
}

/* Every item of the folder named by spec and its subfolders (spec NULL: the mailbox). */
int
mbx_list_under(struct mbx_list *l, const char *mailbox, const char *spec)
{
	struct walk_ctx w = { l, 0 };
	struct mbx_err e;
	int rc;

	l->walked |= spec == NULL;
	rc = mbx_folder_walk(l->g, mailbox, spec, walk_folder, &w, &e) ? mbx_exit_of(e.kind) : 0;
	if (rc && !e.reported)
		mbx_report(rc, mailbox, spec, walk_code(&e), "cannot list '%s' in '%s': %s",
				 spec ? spec : "/", mailbox, e.msg);
	return mbx_exit_worst(w.worst, rc);
}

/* One folder named by path or id, without its subfolders. */
int
mbx_list_in(struct mbx_list *l, const char *mailbox, const char *spec)
{
	struct mbx_folder f;
	int rc;

	if ((rc = mbx_folder_find(l->g, mailbox, spec, &f)) == 0)
		rc = l->delta_path ? items_delta(l, mailbox, f.id, f.path, NULL, &f)
		     : items_of(l, mailbox, f.id, f.path);
	mbx_folder_clear(&f);
	return rc;
}

/* ---------------------------------------------------------------- --delta */

/* A changed item, or {"id", "@removed"}: an item record, or one marked removed. */
static int
delta_elem(void *ctx, yajl_val e)
{
	struct folder_ctx *f = ctx;

	if (!mbx_json_get(e, "@removed"))
		return emit_item(ctx, e);
	mbx_mark_emit("item", f->mailbox, f->folder_id, f->folder_path, mbx_json_str(e, "id"), "removed");
	return 0;
}

/* The folder record of a folder new to the state; a listing in full again says so. */
static void
pass_folder(const char *mailbox, const char *id, const char *path, yajl_val rec,
	    const struct mbx_folder *walk, int resync)
{
	if (resync)
		mbx_mark_emit("folder", mailbox, NULL, path, id, "resync");
	else if (rec)
		mbx_record_write(rec);
	else if (walk)
		mbx_folder_emit(mailbox, walk);
}

/* 0, MBX_DELTA_EXPIRED or -1, with e (mbx_graph_delta). */
static int
round_of(struct mbx_ilink *d, struct folder_ctx *fc, char **link, struct mbx_err *e)
{
	char *url = d->link ? mbx_strdup(d->link)
		    : mbx_graph_url(fc->l->g, "admin/exchange/mailboxes/%s/folders/%s/items/delta",
				    fc->mailbox, fc->folder_id);
	int rc = mbx_graph_delta(fc->l->g, url, fc->mailbox, delta_elem, fc, link, e);

	free(url);
	return rc;
}

/* A round that failed, or expired where it cannot start over (e says SERVICE then). */
static int
delta_failed(const struct mbx_err *e, const char *mailbox, const char *path)
{
	int rc = mbx_exit_of(e->kind);

	mbx_report(rc, mailbox, path, "ItemDeltaFailed", "cannot list changes of '%s' in '%s': %s",
		   path, mailbox, e->msg);
	return rc;
}

/* One folder's items since its saved deltaLink (all of them the first time). */
static int
items_delta(struct mbx_list *l, const char *mailbox, const char *folder_id, const char *path,
	    yajl_val rec, const struct mbx_folder *walk)
{
	struct folder_ctx fc = { l, mailbox, folder_id, path, 0 };
	struct mbx_ilink *d;
	struct mbx_err e;
	char *link = NULL;
	int rc;

	if (*l->run_mailbox && strcasecmp(l->run_mailbox, mailbox) != 0)
		mbx_die(MBX_EXIT_USAGE, "cannot use --delta '%s' with records of more than one "
			"mailbox ('%s' after '%s'): a state file is of one mailbox", l->delta_path,
			mailbox, l->run_mailbox);
	mbx_strlcpy(l->run_mailbox, mailbox, sizeof l->run_mailbox);
	if (*l->links.mailbox && strcasecmp(l->links.mailbox, mailbox) != 0) {
		mbx_record_error(mailbox, path, "DeltaStateMailbox", "cannot list '%s' with --delta "
				 "'%s': that state is of mailbox '%s'", path, l->delta_path,
				 l->links.mailbox);
		return MBX_EXIT_PARTIAL;
	}
	mbx_strlcpy(l->links.mailbox, mailbox, sizeof l->links.mailbox);
	d = mbx_ilinks_get(&l->links, folder_id);
	if (!d->link)
		pass_folder(mailbox, folder_id, path, rec, walk, 0);
	rc = round_of(d, &fc, &link, &e);
	if (rc == MBX_DELTA_EXPIRED && d->link) {
		mbx_warn("the delta state of '%s' has expired: listing it in full", path);
		free(d->link);
		d->link = NULL;
		pass_folder(mailbox, folder_id, path, rec, walk, 1);
		rc = round_of(d, &fc, &link, &e);
	}
	if (rc)
		return delta_failed(&e, mailbox, path);
	free(d->link);
	d->link = link;
	free(d->path);
	d->path = mbx_strdup(path);
	d->seen = 1;
	return 0;
}

/* After a whole mailbox was listed, folders it no longer has are reported removed. */
static void
delta_gone(struct mbx_list *l)
{
	struct mbx_ilinks *s = &l->links;
	struct mbx_ilink *d;
	size_t i, k = 0;

	for (i = 0; i < s->n; i++) {
		d = &s->v[i];
		if (l->walked && !d->seen && d->link) {
			mbx_mark_emit("folder", s->mailbox, NULL, d->path, d->id, "removed");
			mbx_ilink_clear(d);
			continue;
		}
		if (k != i)
			s->v[k] = *d;
		k++;
	}
	s->n = k;
}

/* Saved only when everything worked: a partial run is repeated from the old state. */
void
mbx_list_save(struct mbx_list *l, int rc)
{
	struct mbx_err e;

	if (!l->delta_path)
		return;
	delta_gone(l);
	if (rc != 0 || !*l->links.mailbox) {
		if (rc)
			mbx_warn("--delta '%s' not updated: the run was not complete", l->delta_path);
		return;
	}
	if (mbx_ilinks_save(l->delta_path, &l->links, &e) < 0)
		mbx_die(mbx_exit_of(e.kind), "%s", e.msg);
}

static void emit_ids(const char *user, const char *primary, const char *archive);

/* -M --all: the users of the tenant a page at a time, their settings many at once. */
#define USERS_BATCH 999         /* a page of Graph "List users" at $top=999 */
#define SETTINGS_WINDOW 64      /* settings calls in flight: a tenant is not found serially */
struct tenant {
	struct mbx_list *l;
	char *users[USERS_BATCH];
	size_t n;
	int rc;
};

static void
emit_ids(const char *user, const char *primary, const char *archive)
{
	struct mbx_mailbox m;

	memset(&m, 0, sizeof m);
	mbx_strlcpy(m.user, user, sizeof m.user);
	mbx_strlcpy(m.id, primary, sizeof m.id);
	mbx_strlcpy(m.kind, "primary", sizeof m.kind);
	mbx_mailbox_emit(&m);
	if (*archive) {
		mbx_strlcpy(m.id, archive, sizeof m.id);
		mbx_strlcpy(m.kind, "archive", sizeof m.kind);
		mbx_mailbox_emit(&m);
	}
}

static int
tenant_mailboxes(void *ctx, const struct mbx_usettings *s)
{
	int rc = mbx_exit_of(s->e.kind);

	(void)ctx;
	if (rc) {
		/* a user without an Exchange Online mailbox is 404: an error record, go on */
		mbx_report(rc, NULL, s->user, "MailboxNotFound",
			   "cannot find mailboxes of '%s': %s", s->user, s->e.msg);
		return rc != MBX_EXIT_PARTIAL;
	}
	emit_ids(s->user, s->primary, s->archive);
	return 0;
}

static int
tenant_flush(struct tenant *t)
{
	size_t i;
	int rc;

	if (t->rc == 0 || t->rc == MBX_EXIT_PARTIAL) {
		rc = mbx_graph_settings_many(t->l->g, (const char *const *)t->users, t->n,
					     SETTINGS_WINDOW, tenant_mailboxes, NULL);
		t->rc = mbx_exit_worst(t->rc, rc);
	}
	for (i = 0; i < t->n; i++)
		free(t->users[i]);
	t->n = 0;
	return t->rc != 0 && t->rc != MBX_EXIT_PARTIAL;
}

/* -M USER...: one settings call gives both mailboxes of a user (graph-api.md 3.1), many
 * users' at once as for --all, in the order of the arguments; an id is its own record. */
int
mbx_list_users(struct mbx_list *l, char *const *users, int n)
{
	struct mbx_mailbox m;
	struct mbx_err e;
	int i = 0, k, rc = 0;

	while (i < n && (rc == 0 || rc == MBX_EXIT_PARTIAL)) {
		if (strncmp(users[i], "MBX:", 4) == 0) {
			mbx_graph_mailbox(l->g, users[i++], 0, &m, &e);   /* an id: no call */
			mbx_mailbox_emit(&m);
			continue;
		}
		for (k = i; k < n && strncmp(users[k], "MBX:", 4) != 0; k++)
			;
		rc = mbx_exit_worst(rc, mbx_graph_settings_many(l->g, (const char *const *)users + i,
				    (size_t)(k - i), SETTINGS_WINDOW, tenant_mailboxes, NULL));
		i = k;
	}
	return rc;
}

/* Called once the page is in (graph.c reads a page whole): the engine is idle here. */
static int
tenant_user(void *ctx, yajl_val u)
{
	struct tenant *t = ctx;
	const char *upn = mbx_json_str(u, "userPrincipalName");

	if (!upn)
		upn = mbx_json_str(u, "id");
	if (!upn) {
		mbx_record_error(NULL, NULL, "BadRecord", "a user without id or userPrincipalName");
		t->rc = mbx_exit_worst(t->rc, MBX_EXIT_PARTIAL);
		return 0;
	}
	t->users[t->n++] = mbx_strdup(upn);
	return t->n == USERS_BATCH ? tenant_flush(t) : 0;
}

int
mbx_list_tenant(struct mbx_list *l)
{
	struct tenant t = { .l = l, .n = 0, .rc = 0 };
	struct mbx_err e;
	int rc;

	rc = mbx_graph_users(l->g, tenant_user, &t, &e) ? mbx_exit_of(e.kind) : 0;
	if (rc && *e.msg)
		mbx_report(rc, NULL, "/users", "UserListFailed", "cannot list the users of the "
			   "tenant: %s%s", e.msg, strncmp(e.msg, "403", 3) == 0 ? " (needs the "
			   "application permission User.Read.All or Directory.Read.All)" : "");
	tenant_flush(&t);
	return mbx_exit_worst(t.rc, rc);
}

int
mbx_list_record(void *ctx, yajl_val rec, const char *type, unsigned long line)
{
	const char *mbx = mbx_json_str(rec, "mailbox");
	const char *id = mbx_json_str(rec, "id");
	const char *path = mbx_json_str(rec, "path");
	struct mbx_list *l = ctx;

	if (!mbx || !id || (strcmp(type, "folder") == 0 && !path)) {
		mbx_record_error(mbx, NULL, "BadRecord", "stdin:%lu: %s record without %s", line,
				 type, !mbx ? "a mailbox" : !id ? "an id" : "a path");
		return MBX_EXIT_PARTIAL;
	}
	if (strcmp(type, "mailbox") == 0)
		return mbx_list_under(l, id, NULL);
	if (l->delta_path)
		return items_delta(l, mbx, id, path, rec, NULL);
	mbx_record_write(rec);        /* the folder travels on: export and import keep it */
	return items_of(l, mbx, id, path);
}

/* The mailbox a record's task is of: a mailbox record is its own. */
const char *
mbx_list_key(yajl_val rec, const char *type)
{
	const char *k = mbx_json_str(rec, strcmp(type, "mailbox") == 0 ? "id" : "mailbox");

	return k ? k : "";
}


static int
emit_folder(void *ctx, const char *mailbox, const struct mbx_folder *f)
{
	(void)ctx;
	mbx_folder_emit(mailbox, f);
	return 0;
}

/* ---------------------------------------------------------------- mbx-folders */

/* Walk one mailbox; report what failed. */
int
mbx_folders_of(struct mbx_graph *g, const char *mailbox, const char *path)
{
	struct mbx_err e;
	int rc;

	rc = mbx_folder_walk(g, mailbox, path, emit_folder, NULL, &e) ? mbx_exit_of(e.kind) : 0;
	if (rc && !e.reported)
		mbx_report(rc, mailbox, path, walk_code(&e), "cannot list folders of '%s': %s",
				 mailbox, e.msg);
	return rc;
}

int
mbx_folders_record(void *ctx, yajl_val rec, const char *type, unsigned long line)
{
	const char *id = mbx_json_str(rec, "id");

	(void)type;
	if (!id || strncmp(id, "MBX:", 4) != 0) {
		mbx_record_error(NULL, NULL, "BadRecord", "stdin:%lu: mailbox record without an id",
				 line);
		return MBX_EXIT_PARTIAL;
	}
	return mbx_folders_of(ctx, id, NULL);
}

const char *
mbx_folders_key(yajl_val rec, const char *type)
{
	const char *k = mbx_json_str(rec, "id");

	(void)type;
	return k ? k : "";
}

