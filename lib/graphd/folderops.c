/* folderops.c: folder create, rename and delete (graph-api.md 3.5-3.7). What the service
 * does on bad input is not documented; the choices (8, and mbx-graphd(1) "Folder
 * writes") are: a sibling with the same name (case-insensitively) is 409
 * ErrorFolderExists; an empty, over-long or control-character name is 400
 * ErrorInvalidFolderName; a property other than the writable ones is 400. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "routes.h"

#define NAME_MAX_CHARS 255

static int
json_body(struct gd_req *r, yajl_val *out)
{
	if (!r->content_type || strncasecmp(r->content_type, "application/json", 16) != 0) {
		gd_json_error(r, 415, "UnsupportedMediaType",
			      "Content-Type must be application/json.");
		return -1;
	}
	*out = mbx_json_parse(r->body.data ? r->body.data : "", r->body.len, NULL, 0);
	if (!*out || !YAJL_IS_OBJECT(*out)) {
		yajl_tree_free(*out);
		gd_json_error(r, 400, "BadRequest", "Unable to read JSON request payload.");
		return -1;
	}
	return 0;
}

/* Every member of v is one of allowed: 0, or a 400 in r. */
static int
only_members(struct gd_req *r, yajl_val v, const char *const *allowed)
{
	size_t i, k;

	for (i = 0; i < v->u.object.len; i++) {
		const char *key = v->u.object.keys[i];
		for (k = 0; allowed[k] && strcmp(allowed[k], key) != 0; k++)
			;
		if (!allowed[k]) {
			gd_json_error(r, 400, "ErrorInvalidRequest",
				      "The property '%s' cannot be set on a mailboxFolder here.", key);
			return -1;
		}
	}
	return 0;
}

/* A name Exchange would take: 1..255 characters, not blank, no control characters. */
static int
name_ok(const char *s)
{
	size_t chars = 0;
	int blank = 1;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			return 0;
		blank &= c == ' ';
		chars += (c & 0xc0) != 0x80;
	}
	return chars > 0 && chars <= NAME_MAX_CHARS && !blank;
}

static int
name_checks(struct gd_req *r, const struct gd_folder *parent, const char *name,
	    const struct gd_folder *self)
{
	size_t i;

	if (!name || !name_ok(name)) {
		gd_json_error(r, 400, "ErrorInvalidFolderName",
			      "The folder name is not valid: 1 to 255 characters, not blank, "
			      "no control characters.");
		return -1;
	}
	for (i = 0; parent && i < parent->nkids; i++)
		if (parent->kids[i] != self && strcasecmp(parent->kids[i]->name, name) == 0) {
			gd_json_error(r, 409, "ErrorFolderExists",
				      "A folder with the specified name already exists.");
			return -1;
		}
	return 0;
}

static void
answer_folder(struct gd_req *r, const struct gd_folder *f, int status)
{
	struct mbx_jw w;

	r->status = status;
	mbx_buf_reset(&r->out);
	mbx_jw_init(&w, &r->out);
	gd_folder_json(r, &w, f);
}

/* POST .../folders (under the root, 8 guess) or .../childFolders. */
static void
create(struct gd_req *r, struct gd_mailbox *m, struct gd_folder *parent)
{
	static const char *const ok[] = { "displayName", "type", "@odata.type",
		"singleValueExtendedProperties", "multiValueExtendedProperties", NULL };
	const char *name, *cls;
	yajl_val v;

	if (json_body(r, &v) < 0)
		return;
	name = mbx_json_str(v, "displayName");
	cls = mbx_json_str(v, "type");
	if (only_members(r, v, ok) == 0) {
		if (!cls || strncmp(cls, "IPF", 3) != 0)
			gd_json_error(r, 400, "ErrorInvalidRequest",
				      "'type' is required: a folder class such as IPF.Note.");
		else if (name_checks(r, parent, name, NULL) == 0)
			answer_folder(r, gd_folder_add(m, parent, name, NULL, cls), 201);
	}
	yajl_tree_free(v);
}

/* PATCH: displayName only (3.6; type cannot change). */
static void
rename_folder(struct gd_req *r, struct gd_folder *f)
{
	static const char *const ok[] = { "displayName", "@odata.type", NULL };
	const char *name;
	yajl_val v;

	if (json_body(r, &v) < 0)
		return;
	name = mbx_json_str(v, "displayName");
	if (only_members(r, v, ok) == 0) {
		if (f->hidden)
			gd_json_error(r, 403, "ErrorAccessDenied", "This folder cannot be renamed.");
		else if (name_checks(r, f->parent, name, f) == 0) {
			gd_folder_rename(f, name);
			answer_folder(r, f, 200);
		}
	}
	yajl_tree_free(v);
}

static void
delete_folder(struct gd_req *r, struct gd_folder *f)
{
	if (f->hidden) {
		gd_json_error(r, 403, "ErrorAccessDenied", "This folder cannot be deleted.");
		return;
	}
	gd_folder_remove(f);
	r->status = 204;
	mbx_buf_reset(&r->out);
}

/* The folder a write names: folders/{id}[/childFolders/{id}][/$ref]; NULL with the error
 * in r. *ref says whether the path ended in $ref. */
static struct gd_folder *
target(struct gd_req *r, const struct gd_path *p, struct gd_mailbox *m, size_t *n)
{
	struct gd_folder *f, *c;

	*n = p->n;
	if (*n > 7 && gd_is(p, *n - 1, "$ref"))
		(*n)--;
	if (*n != 7 && *n != 9)
		return NULL;
	if (!(f = gd_folder_or_error(r, m, p->seg[6])))
		return NULL;
	if (*n == 7)
		return f;
	if (!gd_is(p, 7, "childFolders") || !(c = gd_folder_or_error(r, m, p->seg[8])))
		return NULL;
	if (c->parent == f)
		return c;
	gd_json_error(r, 404, "ErrorItemNotFound", "The specified object was not found in the store.");
	return NULL;
}

void
gd_folder_write(struct gd_server *sv, struct gd_req *r, const struct gd_path *p,
		struct gd_mailbox *m)
{
	int post = strcasecmp(r->method, "POST") == 0;
	struct gd_folder *f = NULL;
	size_t n;

	(void)sv;
	if (post && p->n == 6)
		create(r, m, m->root);
	else if (post && p->n == 8 && gd_is(p, 7, "childFolders")) {
		if ((f = gd_folder_or_error(r, m, p->seg[6])))
			create(r, m, f);
	} else if (!post && (f = target(r, p, m, &n)) != NULL) {
		if (strcasecmp(r->method, "PATCH") == 0 && n == p->n)
			rename_folder(r, f);
		else if (strcasecmp(r->method, "DELETE") == 0)
			delete_folder(r, f);
		else
			gd_json_error(r, 405, "Request_BadRequest", "The method is not allowed here.");
	}
	if (r->status == 0)
		gd_json_error(r, 405, "Request_BadRequest", "The method is not allowed here.");
}

/* ---------------------------------------------------------------- items (3.12) */

/* A soft delete moves the item to Recoverable Items (a new id there, as a move gives);
 * a hard delete removes it. Either way its folder's delta reports it removed. */
void
gd_item_delete(struct gd_server *sv, struct gd_req *r, struct gd_folder *f, const char *id)
{
	const char *how = gd_query(r, "disposalType");
	struct gd_folder *bin = gd_folder_find(f->mbx, "recoverableitemsdeletions");
	struct gd_item *it = gd_item_find(f, id);

	if (!how || (strcmp(how, "softDelete") != 0 && strcmp(how, "hardDelete") != 0)) {
		gd_json_error(r, 400, "ErrorInvalidRequest",
			      "disposalType must be softDelete or hardDelete.");
		return;
	}
	if (!it) {
		gd_json_error(r, gd_id_wellformed(id) ? 404 : 400, gd_id_wellformed(id)
			      ? "ErrorItemNotFound" : "ErrorInvalidIdMalformed",
			      "The specified object was not found in the store.");
		return;
	}
	if (strcmp(how, "softDelete") == 0 && bin && bin != f)
		gd_item_copy(&sv->store, it, bin, it->modified);
	gd_item_remove(it);
	r->status = 204;
	mbx_buf_reset(&r->out);
}
