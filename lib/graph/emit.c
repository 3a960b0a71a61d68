/* emit.c: the Graph record shapes of mbx(7) RECORD FORMAT (mailbox, folder, item,
 * imported, and the removed/resync marks), written through lib/base's record writer. */
#include <string.h>
#include "mbx.h"

void
mbx_mailbox_emit(const struct mbx_mailbox *m)
{
	struct mbx_rec r;

	mbx_rec_begin(&r, "mailbox");
	mbx_rec_str(&r, "mailbox", m->id);
	mbx_rec_str(&r, "id", m->id);
	if (*m->user)
		mbx_rec_str(&r, "user", m->user);
	mbx_rec_str(&r, "kind", m->kind);
	mbx_rec_end(&r);
}

void
mbx_folder_emit(const char *mailbox, const struct mbx_folder *f)
{
	struct mbx_rec r;

	mbx_rec_begin(&r, "folder");
	mbx_rec_str(&r, "mailbox", mailbox);
	mbx_rec_str(&r, "id", f->id);
	mbx_rec_str(&r, "parentFolderId", f->parent_id);
	mbx_rec_str(&r, "path", f->path);
	mbx_rec_str(&r, "displayName", f->display_name);
	mbx_rec_str(&r, "class", f->cls);
	mbx_rec_str(&r, "wellKnownName", f->well_known);
	mbx_rec_int(&r, "childFolderCount", f->child_count);
	mbx_rec_int(&r, "totalItemCount", f->total_count);
	mbx_rec_end(&r);
}

/* The flag every change record of a dry run carries (mbx-mkfolder(1) and the others). */
static void
end_change(struct mbx_rec *r, int dry_run)
{
	if (dry_run)
		mbx_rec_bool(r, "dryRun", 1);
	mbx_rec_end(r);
}

void
mbx_folder_made_emit(const char *mailbox, const struct mbx_folder *f, int created,
		     int dry_run)
{
	struct mbx_rec r;

	mbx_rec_begin(&r, "folder");
	mbx_rec_str(&r, "mailbox", mailbox);
	mbx_rec_str(&r, "id", f->id);
	mbx_rec_str(&r, "path", f->path);
	mbx_rec_str(&r, "displayName", f->display_name);
	mbx_rec_str(&r, "class", f->cls);
	mbx_rec_bool(&r, "created", created);
	end_change(&r, dry_run);
}

void
mbx_folder_moved_emit(const char *mailbox, const struct mbx_folder *f, const char *path,
		      const char *name, int dry_run)
{
	struct mbx_rec r;

	mbx_rec_begin(&r, "folder");
	mbx_rec_str(&r, "mailbox", mailbox);
	mbx_rec_str(&r, "id", f->id);
	mbx_rec_str(&r, "path", path);
	mbx_rec_str(&r, "displayName", name);
	mbx_rec_str(&r, "oldPath", f->path);
	end_change(&r, dry_run);
}

void
mbx_folder_removed_emit(const char *mailbox, const struct mbx_folder *f, int dry_run)
{
	struct mbx_rec r;

	mbx_rec_begin(&r, "folder");
	mbx_rec_str(&r, "mailbox", mailbox);
	mbx_rec_str(&r, "id", f->id);
	mbx_rec_str(&r, "path", f->path);
	mbx_rec_str(&r, "displayName", f->display_name);
	mbx_rec_bool(&r, "removed", 1);
	end_change(&r, dry_run);
}

/* A member of the Graph item as the service gave it, when it is there. */
static void
copy(struct mbx_rec *r, yajl_val item, const char *key)
{
	yajl_val v = mbx_json_get(item, key);

	if (v)
		mbx_rec_val(r, key, v);
}

void
mbx_item_emit(const char *mailbox, const char *folder_id, const char *folder_path,
	      yajl_val item)
{
	struct mbx_rec r;

	mbx_rec_begin(&r, "item");
	mbx_rec_str(&r, "mailbox", mailbox);
	mbx_rec_str(&r, "folderId", folder_id);
	mbx_rec_str(&r, "folderPath", folder_path);
	copy(&r, item, "id");
	copy(&r, item, "changeKey");
	mbx_rec_val(&r, "class", mbx_json_get(item, "type"));    /* DESIGN-NOTES, Records */
	copy(&r, item, "size");
	copy(&r, item, "createdDateTime");
	copy(&r, item, "lastModifiedDateTime");
	copy(&r, item, "categories");
	mbx_rec_end(&r);
}

void
mbx_item_removed_emit(const char *mailbox, const char *folder_id, const char *id,
		      const char *disposal, int dry_run)
{
	struct mbx_rec r;

	mbx_rec_begin(&r, "item");
	mbx_rec_str(&r, "mailbox", mailbox);
	mbx_rec_str(&r, "folderId", folder_id);
	mbx_rec_str(&r, "id", id);
	mbx_rec_bool(&r, "removed", 1);
	mbx_rec_str(&r, "disposalType", disposal);
	end_change(&r, dry_run);
}

void
mbx_mark_emit(const char *type, const char *mailbox, const char *folder_id, const char *path,
	      const char *id, const char *flag)
{
	struct mbx_rec r;

	mbx_rec_begin(&r, type);
	mbx_rec_str(&r, "mailbox", mailbox);
	if (folder_id)
		mbx_rec_str(&r, "folderId", folder_id);
	mbx_rec_str(&r, strcmp(type, "item") == 0 ? "folderPath" : "path", path);
	mbx_rec_str(&r, "id", id);
	mbx_rec_bool(&r, flag, 1);
	mbx_rec_end(&r);
}

/* {"type":"imported", the target copy, "status", "source":{...}} (mbx-import(1)). */
void
mbx_imported_emit(const struct mbx_import_rec *ir)
{
	static const char *const src[] = { "mailbox", "id", "changeKey", "folderId",
					   "folderPath", NULL };
	const char *const *k;
	struct mbx_rec r;

	mbx_rec_begin(&r, "imported");
	mbx_rec_str(&r, "status", ir->status);
	mbx_rec_str(&r, "mailbox", ir->mailbox);
	mbx_rec_str(&r, "id", ir->id);
	mbx_rec_str(&r, "changeKey", ir->change_key);
	mbx_rec_str(&r, "folderId", ir->folder_id);
	mbx_rec_str(&r, "folderPath", ir->folder_path);
	mbx_jw_key(&r.w, "source");
	mbx_jw_obj(&r.w);
	for (k = src; *k; k++)
		mbx_jw_kstr(&r.w, *k, mbx_json_str(ir->source, *k));
	mbx_jw_end(&r.w);
	mbx_rec_end(&r);
}
