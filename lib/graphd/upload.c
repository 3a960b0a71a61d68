/* upload.c: the body of POST {importUrl} (graph-api.md 3.15, 4.10) read without a tree,
 * so that Data is decoded straight from the request bytes (a tree would copy its
 * base64 once more), and the checks the service makes of the stream it is given.
 *
 * What the service needs of a stream (docs/mime.md 3.1 and 1.8, the store's rules):
 *  - it parses as FastTransfer: a truncated record is CorruptData, and so is a
 *    zero-length TransferBuffer, which lib/fx.c only warns about;
 *  - it sets PidTagMessageClass (MS-OXCMSG 2.2.1.3: mandatory, ASCII, 1 to 255
 *    characters, no trailing period). The service's upload makes an item with an empty
 *    class and leaves the class to the stream (mime.md 3.1, 6; an update first deletes
 *    the target's properties), so a stream without one cannot make a valid message.
 * Nothing else is required: the other properties of mime.md 3.5 are what a good import
 * carries, not what the store refuses without. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_parse.h>
#include "routes.h"

struct ctx {
	struct gd_ibody *u;
	long long item_max;
	int depth, key, status;    /* key: the member whose value comes next (K_*) */
	char why[300];
	struct mbx_buf blob;
	int seen[5];
};

enum { K_FOLDER, K_MODE, K_DATA, K_ITEM, K_CK, K_NONE };
static const char *const keys[] = { "FolderId", "Mode", "Data", "ItemId", "ChangeKey" };

static int
fail(struct ctx *c, int status, const char *why)
{
	c->status = status;
	mbx_strlcpy(c->why, why, sizeof c->why);
	return 0;                          /* stops yajl */
}

/* A value other than a string, at the top level or as a member. */
static int
not_string(struct ctx *c)
{
	char why[200];

	if (c->depth != 1)
		return fail(c, 400, "Unable to read JSON request payload.");
	snprintf(why, sizeof why, "'%s' must be a string.", keys[c->key]);
	return fail(c, 400, why);
}

static int on_null(void *x) { return not_string(x); }
static int on_bool(void *x, int b) { (void)b; return not_string(x); }
static int on_number(void *x, const char *s, size_t n) { (void)s; (void)n; return not_string(x); }

static int
on_start_map(void *x)
{
	struct ctx *c = x;

	return c->depth++ == 0 ? 1 : not_string(c);
}

static int
on_start_array(void *x)
{
	struct ctx *c = x;

	return c->depth == 0 ? fail(c, 400, "Unable to read JSON request payload.")
	       : not_string(c);
}

static int
on_end(void *x)
{
	((struct ctx *)x)->depth--;
	return 1;
}

/* 4.10: exactly these members, PascalCase, each once. */
static int
on_key(void *x, const unsigned char *k, size_t n)
{
	struct ctx *c = x;
	char why[300];
	int i;

	for (i = 0; i < K_NONE && !(strlen(keys[i]) == n && memcmp(keys[i], k, n) == 0); i++)
		;
	if (i == K_NONE) {
		snprintf(why, sizeof why, "Unknown parameter '%.*s'.", n > 64 ? 64 : (int)n,
			 (const char *)k);
		return fail(c, 400, why);
	}
	if (c->seen[i]++) {
		snprintf(why, sizeof why, "Parameter '%s' is given twice.", keys[i]);
		return fail(c, 400, why);
	}
	c->key = i;
	return 1;
}

/* Data: the stream, at most item_max bytes decoded (8.9: 413 beyond). */
static int
data(struct ctx *c, const char *s, size_t n)
{
	char why[200];

	if ((long long)(n / 4 * 3) > c->item_max + 2) {
		snprintf(why, sizeof why, "The item is larger than %lld bytes, the largest an "
			 "import takes.", c->item_max);
		return fail(c, 413, why);
	}
	mbx_buf_init(&c->blob, (size_t)c->item_max + 3);
	if (mbx_b64_decode(&c->blob, s, n) < 0 || c->blob.len == 0)
		return fail(c, 400, "Data is not valid base64.");
	if ((long long)c->blob.len > c->item_max) {
		snprintf(why, sizeof why, "The item is larger than %lld bytes, the largest an "
			 "import takes.", c->item_max);
		return fail(c, 413, why);
	}
	return 1;
}

static int
on_string(void *x, const unsigned char *s, size_t n)
{
	struct ctx *c = x;
	char **dst[] = { &c->u->folder, &c->u->mode, NULL, &c->u->item, &c->u->ck };

	if (c->depth != 1)
		return not_string(c);
	if (c->key == K_DATA)
		return data(c, (const char *)s, n);
	*dst[c->key] = mbx_strndup((const char *)s, n);
	return 1;
}

static const yajl_callbacks callbacks = {
	on_null, on_bool, NULL, NULL, on_number, on_string, on_start_map, on_key, on_end,
	on_start_array, on_end
};

static int
parse_json(struct gd_req *r, struct ctx *c)
{
	yajl_handle h = yajl_alloc(&callbacks, NULL, c);
	const char *body = r->body.data ? r->body.data : "";
	int ok;

	ok = yajl_parse(h, (const unsigned char *)body, r->body.len) == yajl_status_ok &&
	     yajl_complete_parse(h) == yajl_status_ok;
	yajl_free(h);
	if (c->status) {
		gd_json_error(r, c->status, c->status == 413 ? "RequestEntityTooLarge"
			      : "ErrorInvalidRequest", "%s", c->why);
		return -1;
	}
	if (!ok) {
		gd_json_error(r, 400, "BadRequest", "Unable to read JSON request payload.");
		return -1;
	}
	return 0;
}

static int
fields_ok(struct gd_req *r, struct gd_ibody *u, int has_data)
{
	u->update = u->mode && strcmp(u->mode, "update") == 0;
	if (!u->folder || !has_data || !u->mode || (!u->update && strcmp(u->mode, "create") != 0))
		gd_json_error(r, 400, "ErrorInvalidRequest",
			      "FolderId, Mode ('create' or 'update') and Data are required.");
	else if (u->update && (!u->item || !u->ck))
		gd_json_error(r, 400, "ErrorInvalidRequest", "Mode 'update' needs ItemId and ChangeKey.");
	else if (!u->update && (u->item || u->ck))
		gd_json_error(r, 400, "ErrorInvalidRequest",
			      "ItemId and ChangeKey must be absent in Mode 'create'.");
	else
		return 0;
	return -1;
}

/* ---------------------------------------------------------------- the stream */

static unsigned long
rd32(const unsigned char *p)
{
	return p[0] | (unsigned long)p[1] << 8 | (unsigned long)p[2] << 16 |
	       (unsigned long)p[3] << 24;
}

/* A framed blob's records (fasttransfer.md 3): the offset of a zero-length
 * TransferBuffer, or -1. Truncation is left to the parser. */
static long long
empty_tbuf(const unsigned char *b, size_t n)
{
	static const unsigned char sig[8] = { 1, 0, 0, 0, 8, 0, 0, 0 };
	size_t pos = 0;

	if (n < 8 || memcmp(b, sig, 8) != 0)
		return -1;
	while (n - pos >= 8) {
		unsigned long op = rd32(b + pos), len = rd32(b + pos + 4);
		if (op == 2 && len == 0)
			return (long long)pos;
		if (len > n - pos - 8)
			break;
		pos += 8 + len;
	}
	return -1;
}

/* MS-OXCMSG 2.2.1.3: ASCII, 1 to 255 characters, no trailing period. */
static int
class_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0, i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return n >= 1 && n <= 255 && s[n - 1] != '.';
}

static int
stream_ok(struct gd_req *r, struct gd_ibody *u, const struct mbx_buf *blob)
{
	struct fx_item it;
	const struct fx_prop *cls;
	long long at = empty_tbuf((const unsigned char *)blob->data, blob->len);
	char *s = NULL;
	int rc;

	if (at >= 0) {
		gd_json_error(r, 400, "ErrorInvalidRequest", "Data is not a valid item stream: "
			      "an empty TransferBuffer at blob offset %lld.", at);
		return -1;
	}
	rc = fx_parse(&it, blob->data, blob->len);
	cls = rc == FX_OK ? fx_get(&it.root, 0x001A) : NULL;
	s = cls ? fx_text(cls, 1024) : NULL;
	if (rc != FX_OK)
		gd_json_error(r, 400, "ErrorInvalidRequest",
			      "Data is not a valid item stream: %s.", it.error);
	else if (!s)
		gd_json_error(r, 400, "ErrorInvalidRequest", "Data sets no PidTagMessageClass "
			      "(0x001A), which every message has.");
	else if (!class_ok(s))
		gd_json_error(r, 400, "ErrorInvalidRequest", "Data's PidTagMessageClass is not "
			      "1 to 255 ASCII characters without a trailing period.");
	else
		mbx_strlcpy(u->cls, s, sizeof u->cls);
	free(s);
	fx_item_free(&it);
	return r->status ? -1 : 0;
}

int
gd_upload_parse(struct gd_req *r, long long item_max, struct gd_ibody *u)
{
	struct ctx c;
	int rc = -1;

	memset(u, 0, sizeof *u);
	memset(&c, 0, sizeof c);
	c.u = u;
	c.item_max = item_max;
	mbx_buf_init(&c.blob, 0);
	if (!r->content_type || strncasecmp(r->content_type, "application/json", 16) != 0)
		gd_json_error(r, 415, "UnsupportedMediaType", "Content-Type must be application/json.");
	else if (parse_json(r, &c) == 0 && fields_ok(r, u, c.seen[K_DATA]) == 0 &&
		 stream_ok(r, u, &c.blob) == 0) {
		size_t len = c.blob.len;
		u->blob = gd_blob_new(mbx_buf_steal(&c.blob), len);
		rc = 0;
	}
	mbx_buf_free(&c.blob);
	return rc;
}

void
gd_upload_clear(struct gd_ibody *u)
{
	free(u->folder);
	free(u->mode);
	free(u->item);
	free(u->ck);
	gd_blob_unref(u->blob);
	memset(u, 0, sizeof *u);
}
