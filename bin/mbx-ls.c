/* mbx-ls: list mailboxes of users (-M), or the items of folders as item records. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "mbx.h"

static const char usage[] =
	"mbx-ls [-hnqv] [--archive] [options] -M USER...\n"
	"       mbx-ls [options] MAILBOX [PATH...]\n"
	"       mbx-ls [options] < folder or mailbox records";

enum { OPT_PAGE_SIZE = MBX_OPT_FIRST_LOCAL };
static struct mbx_graph graph;
static long page_size = 250;   /* $top: fewer round trips than the service's default 10 */

/* The context of one folder's listing, stamped onto every item record. */
struct folder_ctx {
	const char *mailbox, *folder_id, *folder_path;
	unsigned long count;
};

static void
kcopy(struct mbx_jw *w, yajl_val item, const char *key)
{
	yajl_val v = mbx_json_get(item, key);

	if (v) {
		mbx_jw_key(w, key);
		mbx_jw_val(w, v);
	}
}

static int
emit_item(void *ctx, yajl_val item)
{
	struct folder_ctx *f = ctx;
	struct mbx_buf b;
	struct mbx_jw w;

	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "item");
	mbx_jw_kstr(&w, "mailbox", f->mailbox);
	mbx_jw_kstr(&w, "folderId", f->folder_id);
	mbx_jw_kstr(&w, "folderPath", f->folder_path);
	kcopy(&w, item, "id");
	kcopy(&w, item, "changeKey");
	mbx_jw_key(&w, "class");
	mbx_jw_val(&w, mbx_json_get(item, "type"));
	kcopy(&w, item, "size");
	kcopy(&w, item, "createdDateTime");
	kcopy(&w, item, "lastModifiedDateTime");
	kcopy(&w, item, "categories");
	mbx_jw_end(&w);
	mbx_record_emit(&b);
	mbx_buf_free(&b);
	f->count++;
	return 0;
}

static int
items_of(const char *mailbox, const char *folder_id, const char *folder_path)
{
	struct folder_ctx f = { mailbox, folder_id, folder_path, 0 };
	char msg[1024], top[32];
	char *url;
	int rc;

	snprintf(top, sizeof top, "%ld", page_size);
	url = mbx_graph_url(&graph, "admin/exchange/mailboxes/%s/folders/%s/items?$top=%s",
			    mailbox, folder_id, top);
	rc = mbx_graph_list(&graph, url, mailbox, emit_item, &f, msg, sizeof msg);
	free(url);
	if (rc)
		mbx_report(rc, mailbox, folder_path, "ItemListFailed",
				 "cannot list items of '%s': %s", folder_path, msg);
	else
		mbx_debug("%s: %lu items", folder_path, f.count);
	return rc;
}

static int
walk_folder(void *ctx, const char *mailbox, const struct mbx_folder *f)
{
	int *worst = ctx;
	int rc = items_of(mailbox, f->id, f->path);

	*worst = mbx_exit_worst(*worst, rc);
	/* keep walking after one folder failed; stop on what fails every call */
	return rc == MBX_EXIT_PARTIAL ? 0 : rc;
}

/* Every item of the folder named by spec and its subfolders (spec NULL: the mailbox). */
static int
items_under(const char *mailbox, const char *spec)
{
	char msg[1024] = "";
	int worst = 0, rc;

	rc = mbx_folder_walk(&graph, mailbox, spec, walk_folder, &worst, msg, sizeof msg);
	if (rc && *msg)
		mbx_report(rc, mailbox, spec, "FolderNotFound", "cannot list '%s': %s",
				 spec ? spec : "/", msg);
	return mbx_exit_worst(worst, rc);
}

/* One folder named by path or id, without its subfolders. */
static int
items_in(const char *mailbox, const char *spec)
{
	struct mbx_folder f = { 0 };
	char msg[1024];
	int rc;

	rc = mbx_graph_folder(&graph, mailbox, spec, &f, msg, sizeof msg);
	if (rc)
		mbx_report(rc, mailbox, spec, "FolderNotFound", "cannot find folder '%s': %s",
				 spec, msg);
	else
		rc = items_of(mailbox, f.id, f.path);
	mbx_folder_clear(&f);
	return rc;
}

/* One settings call gives both mailboxes of a user (graph-api.md 3.1). */
static int
mailboxes_of(const char *user)
{
	struct mbx_mailbox m;
	char msg[1024], primary[192], archive[192];
	int rc;

	if (strncmp(user, "MBX:", 4) == 0) {
		mbx_graph_mailbox(&graph, user, 0, &m, msg, sizeof msg);
		mbx_mailbox_emit(&m);
		return 0;
	}
	rc = mbx_graph_settings(&graph, user, primary, sizeof primary, archive, sizeof archive,
				msg, sizeof msg);
	if (rc) {
		mbx_report(rc, NULL, user, "MailboxNotFound", "cannot find mailboxes of '%s': %s",
			   user, msg);
		return rc;
	}
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
	return 0;
}

static int
from_record(void *ctx, yajl_val rec, const char *type, unsigned long line)
{
	const char *mbx = mbx_json_str(rec, "mailbox");
	const char *id = mbx_json_str(rec, "id");
	const char *path = mbx_json_str(rec, "path");

	(void)ctx;
	if (!mbx || !id || (strcmp(type, "folder") == 0 && !path)) {
		mbx_record_error(mbx, NULL, "BadRecord", "stdin:%lu: %s record without %s", line,
				 type, !mbx ? "a mailbox" : !id ? "an id" : "a path");
		return MBX_EXIT_PARTIAL;
	}
	if (strcmp(type, "mailbox") == 0)
		return items_under(id, NULL);
	mbx_record_write(rec);        /* the folder travels on: export and import keep it */
	return items_of(mbx, id, path);
}

static int
run(int list_mailboxes, int argc, char **argv)
{
	static const char *const types[] = { "folder", "mailbox", NULL };
	struct mbx_mailbox m;
	char msg[1024];
	int i, rc = 0;

	if (list_mailboxes) {
		for (i = 0; i < argc && (rc == 0 || rc == MBX_EXIT_PARTIAL); i++)
			rc = mbx_exit_worst(rc, mailboxes_of(argv[i]));
		return rc;
	}
	if (argc == 0)
		return mbx_records_run(types, from_record, NULL);
	rc = mbx_graph_mailbox(&graph, argv[0], mbx_opt.archive, &m, msg, sizeof msg);
	if (rc) {
		mbx_report(rc, NULL, argv[0], "MailboxNotFound", "cannot find mailbox of '%s': %s",
				 argv[0], msg);
		return rc;
	}
	if (argc == 1)
		return items_under(m.id, NULL);
	for (i = 1; i < argc && (rc == 0 || rc == MBX_EXIT_PARTIAL); i++)
		rc = mbx_exit_worst(rc, items_in(m.id, argv[i]));
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		MBX_COMMON_LONGOPTS,
		{ "mailboxes", 0, 0, 'M' },
		{ "page-size", 1, 0, OPT_PAGE_SIZE },
		{ 0, 0, 0, 0 }
	};
	int c, rc, list_mailboxes = 0;

	mbx_log_init(argv[0]);
	mbx_opts_init();
	while ((c = getopt_long(argc, argv, MBX_COMMON_SHORTOPTS "M", longopts, NULL)) != -1) {
		if (mbx_opts_common(c, optarg, usage))
			continue;
		if (c == 'M')
			list_mailboxes = 1;
		else if (c == OPT_PAGE_SIZE && mbx_parse_long(optarg, 1, 1000, &page_size) < 0)
			mbx_die(MBX_EXIT_USAGE, "invalid --page-size '%s': expected 1..1000", optarg);
	}
	argc -= optind;
	argv += optind;
	if (list_mailboxes && argc == 0)
		mbx_die(MBX_EXIT_USAGE, "-M needs at least one user");
	mbx_graph_init(&graph);
	rc = run(list_mailboxes, argc, argv);
	mbx_graph_free(&graph);
	return rc;
}
