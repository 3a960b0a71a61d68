/* toframes.c: mbx-mime --to-frames: each message of an mbox, Maildir or .eml becomes an
 * item frame (mbx-frames(5)) for mbx-import(1), its FastTransfer payload made by lib/fx
 * from the MAPI properties of map.c, its header a record of what a later stage needs
 * (folderPath, ids, dates, size). A message that cannot be converted becomes an error
 * record naming its input and byte offset; the rest goes on. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "mime-int.h"

#define B64_CHUNK ((size_t)48 << 10)     /* bytes encoded at a time (a multiple of 3) */

/* What one message became on its way to a frame. */
struct conv {
	struct mime_item *it;
	struct mime_msg msg;
	struct mime_mapi mapi;
	char id[80];               /* the frame's id when there is no Message-ID */
	char *folder;              /* folderPath */
	char **cats;               /* categories from labels and Keywords */
	size_t ncats;
	struct fx_blob *blob;
	const char *code;          /* why it failed: the error record's code and message */
	char why[512];
};

void
mime_in_init(struct mime_in *in, FILE *out)
{
	memset(in, 0, sizeof *in);
	in->out = out;
	in->hold = MIME_FRAME_HOLD;
}

/* ------------------------------------------------------------------ errors */

/* A file or folder name in a record: JSON strings are UTF-8 (RFC 8259 8.1), names on
 * Linux any bytes; the ones that are not UTF-8 are told with U+FFFD. */
static void
k_name(struct mbx_jw *w, const char *key, const char *name)
{
	unsigned d = 0;
	char *s = mime_utf8_own(mbx_strdup(name), &d);

	mbx_jw_kstr(w, key, s);
	free(s);
}

/* {"type":"error","mailbox":"mime","subject":ID,"code":..,"message":..,"program":..,
 * "file":..,"offset":..,"index":..} and the message on stderr; exit 1. */
static void
item_error(struct mime_in *in, const struct mime_item *it, const char *id, const char *code,
	   const char *why)
{
	struct mbx_rec r;
	char msg[1024];

	snprintf(msg, sizeof msg, "cannot convert message %lu at byte %llu of '%s': %s",
		 it->index, it->offset, it->file, why);
	mbx_rec_error(&r, "mime", id && *id ? id : NULL, code, msg);
	k_name(&r.w, "file", it->file);
	mbx_rec_int(&r, "offset", (long long)it->offset);
	mbx_rec_int(&r, "index", (long long)it->index);
	mbx_rec_end(&r);
	in->errors++;
	in->worst = mbx_exit_worst(in->worst, MBX_EXIT_PARTIAL);
}

/* ------------------------------------------------------------ Gmail labels */

/* Gmail's system labels that are places (Takeout writes them in X-Gmail-Labels), and
 * the Exchange folder each goes to, in the order one is chosen when there are several. */
static const struct {
	const char *label, *folder;
} places[] = {
	{ "Inbox", "Inbox" }, { "Sent", "Sent Items" }, { "Drafts", "Drafts" },
	{ "Spam", "Junk Email" }, { "Trash", "Deleted Items" }, { "Chat", "Conversation History" },
	{ "Archived", "Archive" },
};
#define NPLACES (sizeof places / sizeof places[0])

static int
place_of(const char *label)
{
	size_t i;

	for (i = 0; i < NPLACES; i++)
		if (strcmp(label, places[i].label) == 0)
			return (int)i;
	return -1;
}

/* Labels that are states, not places or categories. */
static int
state_label(const char *l, struct mime_env *env)
{
	if (strcmp(l, "Unread") == 0)
		env->unread = 1;
	else if (strcmp(l, "Starred") == 0)
		env->flagged = 1;
	else
		return strcmp(l, "Opened") == 0;
	return 1;
}

static int
user_label(const char *l)
{
	return strcmp(l, "Important") != 0 && strncmp(l, "Category ", 9) != 0;
}

static void
add_cat(struct conv *cv, const char *s)
{
	size_t i;

	for (i = 0; i < cv->ncats; i++)
		if (strcmp(cv->cats[i], s) == 0)
			return;
	cv->cats = mbx_xrealloc(cv->cats, (cv->ncats + 1) * sizeof *cv->cats);
	cv->cats[cv->ncats++] = mbx_strdup(s);
}

/* A label as a folder path: Gmail nests labels with '/' ("Work/Projects"). */
static char *
label_path(const char *label)
{
	struct mbx_buf p;
	char *copy = mbx_strdup(label), *s, *save = NULL;

	mbx_buf_init(&p, 0);
	for (s = strtok_r(copy, "/", &save); s; s = strtok_r(NULL, "/", &save))
		mbx_path_append(&p, NULL, s);
	free(copy);
	return p.data ? mbx_buf_steal(&p) : NULL;
}

/* s without its leading and trailing blanks, in place. */
static char *
trim(char *s)
{
	size_t lead = strspn(s, " \t"), n = strlen(s);

	while (n > lead && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	memmove(s, s + lead, n - lead);
	s[n - lead] = '\0';
	return s;
}

/* The labels of X-Gmail-Labels: comma separated, a label with a comma quoted, non-ASCII
 * ones in RFC 2047 words. */
static size_t
split_labels(const char *v, char ***out, unsigned *defects)
{
	struct mbx_buf one;
	size_t n = 0;
	int q = 0;
	char *w;

	*out = NULL;
	mbx_buf_init(&one, 0);
	for (;; v++) {
		if (*v == '"') {
			q = !q;
		} else if (*v && (*v != ',' || q)) {
			if (*v == '\\' && q && v[1])
				v++;
			mbx_buf_putc(&one, *v);
		} else {
			w = trim(mime_words(one.data ? one.data : "", defects));
			if (*w) {
				*out = mbx_xrealloc(*out, (n + 1) * sizeof **out);
				(*out)[n++] = w;
			} else {
				free(w);
			}
			mbx_buf_reset(&one);
			if (!*v)
				break;
		}
	}
	mbx_buf_free(&one);
	return n;
}

/* --labels folders: the first label of the user is the folder, a place label when there
 * is none (Inbox first), /Archive when there is neither; the other labels of the user
 * are categories. --labels categories: every label of the user is a category, the
 * folder is a place's. Unread, Opened and Starred are the read and flag states. */
static void
gmail_labels(struct mime_in *in, struct conv *cv, const struct mime_part *root)
{
	char *v = mime_field(root, "X-Gmail-Labels"), **l = NULL;
	size_t n = v ? split_labels(v, &l, &cv->mapi.defects) : 0, i, best = NPLACES;
	int folder_done = in->labels == MIME_LABELS_CATEGORIES;

	free(v);
	for (i = 0; i < n; i++) {
		int pl = place_of(l[i]);
		if (state_label(l[i], &cv->it->env)) {
			/* a state, not a place */
		} else if (pl >= 0) {
			best = (size_t)pl < best ? (size_t)pl : best;
		} else if (!folder_done && user_label(l[i]) && (cv->folder = label_path(l[i]))) {
			folder_done = 1;
		} else {
			add_cat(cv, l[i]);
		}
		free(l[i]);
	}
	free(l);
	if (v && !cv->folder)
		cv->folder = label_path(places[best < NPLACES ? best : NPLACES - 1].folder);
}

/* Keywords (RFC 5322 3.6.5) are categories too, as gromox reads them. */
static void
keywords(struct conv *cv, const struct mime_part *root)
{
	char *v = mime_field(root, "Keywords"), *s, *save = NULL, *w;

	for (s = v ? strtok_r(v, ",", &save) : NULL; s; s = strtok_r(NULL, ",", &save)) {
		w = trim(mime_words(s, &cv->mapi.defects));
		if (*w)
			add_cat(cv, w);
		free(w);
	}
	free(v);
}

/* ------------------------------------------------------------------- the id */

/* The message's identity when it has no Message-ID: SHA-256 of its header fields and
 * body with LF line ends, without the mbox's bookkeeping fields and Gmail's labels (a
 * copy of the same message in another container or export gets the same id). */
static void
message_hash(const struct mime_msg *m, char *out, size_t n)
{
	struct mbx_sha256 *h = mbx_sha256_new();
	const struct mime_part *r = m->root;
	struct mime_cur c;
	const unsigned char *p;
	size_t i, k, len, off;
	int bol;
	char hex[65];

	for (i = 0; h && i < r->nf; i++) {
		const struct mime_field *f = &r->f[i];
		const char *s = r->hdr + f->name;
		if (mime_bookkeeping_field(s, f->nlen) ||
		    (f->nlen == 14 && strncasecmp(s, "X-Gmail-Labels", 14) == 0) ||
		    (f->nlen == 10 && strncasecmp(s, "X-GM-THRID", 10) == 0))
			continue;
		for (k = 0, len = f->val + f->vlen - f->name; k < len; k++)
			if (s[k] != '\r')
				mbx_sha256_update(h, s + k, 1);
		mbx_sha256_update(h, "\n", 1);
	}
	if (h)
		mbx_sha256_update(h, "\n", 1);     /* the empty line before the body */
	mime_cur_init(&c, m->src, r->body, m->src->len);
	while (h && mime_cur_line(&c, &p, &len, &off, &bol) > 0) {
		k = len - (len && (p[len - 1] == '\n' || p[len - 1] == '\r'));
		k -= k && len >= 2 && p[len - 1] == '\n' && p[len - 2] == '\r';
		mbx_sha256_update(h, p, k);
		if (k < len)
			mbx_sha256_update(h, "\n", 1);
	}
	mime_cur_free(&c);
	if (!h) {
		snprintf(out, n, "index:%lu", 0UL);
		return;
	}
	mbx_sha256_final(h, hex);
	snprintf(out, n, "sha256:%s", hex);
}

/* ------------------------------------------------------------- the record */

static void
who(struct mbx_jw *w, const char *name, const char *addr, const struct mime_cut *cut)
{
	struct mime_who x = { (char *)name, (char *)addr };
	char *s = mime_who_str(&x);

	mime_jw_cut(w, s, cut);
	free(s);
}

static void
people(struct mbx_jw *w, const struct fx_msg *m, const struct mime_cut *cut)
{
	static const char *const keys[] = { "to", "cc", "bcc" };
	size_t i, k, n;

	mbx_jw_key(w, "from");
	if (m->from_address || m->from_name)
		who(w, m->from_name, m->from_address, cut);
	else if (m->sender_address || m->sender_name)
		who(w, m->sender_name, m->sender_address, cut);
	else
		mbx_jw_null(w);
	for (k = 0; k < 3; k++) {
		mbx_jw_key(w, keys[k]);
		mbx_jw_arr(w);
		for (i = n = 0; i < m->nrecips && n < cut->list; i++)
			if (m->recips[i].type == (int)k + 1 && ++n)
				who(w, m->recips[i].name, m->recips[i].address, cut);
		mbx_jw_end(w);
	}
}

static void
k_time(struct mbx_jw *w, const char *key, long long t)
{
	char iso[32];

	mbx_jw_key(w, key);
	if (!t) {
		mbx_jw_null(w);
		return;
	}
	mime_iso(t, iso, sizeof iso);
	mbx_jw_str(w, iso);
}

/* The summary members of mbx-frames --annotate (so that one jq filter selects both),
 * then what only a converted message has. */
static void
summary(struct mbx_jw *w, const struct conv *cv, const struct mime_cut *cut)
{
	const struct fx_msg *m = &cv->mapi.m;
	size_t i;

	mbx_jw_key(w, "subject");
	mime_jw_cut(w, m->subject, cut);
	people(w, m, cut);
	k_time(w, "sentDateTime", m->submit_time);
	k_time(w, "receivedDateTime", m->delivery_time);
	mbx_jw_key(w, "hasAttachments");
	mbx_jw_bool(w, m->nattachs > 0);
	mbx_jw_key(w, "attachments");
	mbx_jw_arr(w);
	for (i = 0; i < m->nattachs && i < cut->list; i++)
		mime_jw_cut(w, m->attachs[i].name ? m->attachs[i].name :
			    m->attach_ext[i].display_name ? m->attach_ext[i].display_name : "",
			    cut);
	mbx_jw_end(w);
	mbx_jw_kint(w, "itemSize", (long long)fx_blob_size(cv->blob));
	mime_jw_cut_flag(w, cut);
}

static void
defects(struct mbx_jw *w, unsigned d)
{
	int i;

	if (!d)
		return;
	mbx_jw_key(w, "defects");
	mbx_jw_arr(w);
	for (i = 0; i < MIME_D_NBITS; i++)
		if (d & 1u << i)
			mbx_jw_str(w, mime_defect_name(i));
	mbx_jw_end(w);
}

/* The header's members, without the closing brace (the frame's v, size or data and
 * sha256 follow), the summary and the categories cut as cut says; -1 when they do not
 * fit in b. */
static int
header(struct mbx_buf *b, const struct conv *cv, const struct mime_cut *cut)
{
	const struct mime_item *it = cv->it;
	struct mbx_jw w;
	size_t i;

	mbx_buf_reset(b);
	mbx_jw_init(&w, b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "item");
	mbx_jw_kstr(&w, "mailbox", "mime");
	mbx_jw_kstr(&w, "id", cv->mapi.message_id ? cv->mapi.message_id : cv->id);
	mbx_jw_kstr(&w, "class", cv->mapi.m.message_class);
	if (cv->folder)
		k_name(&w, "folderPath", cv->folder);
	if (cv->mapi.message_id)
		mbx_jw_kstr(&w, "messageId", cv->mapi.message_id);
	summary(&w, cv, cut);
	mbx_jw_kint(&w, "rfc822Size", (long long)it->src.len);
	mbx_jw_key(&w, "isRead");
	mbx_jw_bool(&w, !it->env.unread);
	if (cv->ncats) {
		mbx_jw_key(&w, "categories");
		mbx_jw_arr(&w);
		for (i = 0; i < cv->ncats && i < cut->list; i++)
			mime_jw_cut(&w, cv->cats[i], cut);
		mbx_jw_end(&w);
	}
	defects(&w, cv->mapi.defects);
	k_name(&w, "file", it->file);
	mbx_jw_kint(&w, "offset", (long long)it->offset);
	mbx_jw_end(&w);
	if (w.err)
		return -1;
	b->data[--b->len] = '\0';           /* the '}' comes after the frame's members */
	return 0;
}

/* -------------------------------------------------------------- the frame */

struct out {
	struct mime_in *in;
	struct mbx_sha256 *h;
	int write;                 /* 0: the pass that only hashes */
	unsigned char carry[3];    /* NDJSON: bytes waiting for a whole base64 triple */
	size_t ncarry;
	struct mbx_buf enc, chunk;
};

static void
out_bytes(struct mime_in *in, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, in->out) != n)
		mbx_die(MBX_EXIT_IO, "cannot write to stdout: %s", strerror(errno));
	in->bytes_out += n;
}

static void
b64_out(struct out *o, const void *p, size_t n)
{
	mbx_buf_reset(&o->enc);
	if (mbx_b64_encode(&o->enc, p, n) < 0)
		mbx_die(MBX_EXIT_SOFTWARE, "cannot encode base64");
	out_bytes(o->in, o->enc.data, o->enc.len);
}

static int
put(void *ctx, const void *p, size_t n)
{
	struct out *o = ctx;
	const unsigned char *s = p;
	size_t k;

	if (o->h)
		mbx_sha256_update(o->h, p, n);
	if (!o->write)
		return 0;
	if (!o->in->ndjson) {
		out_bytes(o->in, p, n);
		return 0;
	}
	while (n > 0) {                      /* whole triples in chunks, the rest carried */
		k = B64_CHUNK - o->chunk.len < n ? B64_CHUNK - o->chunk.len : n;
		mbx_buf_append(&o->chunk, s, k);
		s += k;
		n -= k;
		if (o->chunk.len == B64_CHUNK) {
			b64_out(o, o->chunk.data, o->chunk.len);
			mbx_buf_reset(&o->chunk);
		}
	}
	return 0;
}

static int
buf_put(void *ctx, const void *p, size_t n)
{
	return mbx_buf_append(ctx, p, n);
}

/* The header's last members and what follows them up to the payload. */
static void
frame_start(struct mime_in *in, const struct mbx_buf *hdr, size_t size, const char *hex)
{
	char tail[160];

	out_bytes(in, hdr->data, hdr->len);
	if (in->ndjson)
		snprintf(tail, sizeof tail, ",\"v\":1,\"data\":\"");
	else
		snprintf(tail, sizeof tail, ",\"v\":1,\"size\":%zu,\"sha256\":\"%s\"}\n", size, hex);
	out_bytes(in, tail, strlen(tail));
}

static void
frame_end(struct mime_in *in, struct out *o, const char *hex)
{
	char tail[160];

	if (!in->ndjson) {
		out_bytes(in, "\n", 1);
		return;
	}
	if (o->chunk.len)
		b64_out(o, o->chunk.data, o->chunk.len);
	snprintf(tail, sizeof tail, "\",\"sha256\":\"%s\"}\n", hex);
	out_bytes(in, tail, strlen(tail));
}

/* The frame: header, payload, LF (mbx-frames(5)), or the NDJSON form with the payload
 * in "data". A payload of up to in->hold bytes is made in memory, then written; a
 * larger one is made twice: once to hash it (which also finds a read error before
 * anything is written), once to write it. -1: the data could not be read; -2: the
 * header would be larger than a frame's even with its summary cut. */
static int
write_frame(struct mime_in *in, const struct conv *cv)
{
	struct out o = { in, mbx_sha256_new(), 0, { 0 }, 0, { 0 }, { 0 } };
	struct mbx_buf hdr, held;
	size_t size = fx_blob_size(cv->blob);
	char hex[65];
	int c, rc = -2;

	if (!o.h)
		mbx_die(MBX_EXIT_SOFTWARE, "SHA-256 is not available");
	mbx_buf_init(&hdr, MBX_FRAME_HEADER_MAX - 256);      /* room for the frame's members */
	mbx_buf_init(&held, size + 1);
	mbx_buf_init(&o.enc, 0);
	mbx_buf_init(&o.chunk, B64_CHUNK);
	for (c = 0; c < MIME_NCUTS && rc == -2; c++)
		rc = header(&hdr, cv, &mime_cuts[c]) < 0 ? -2 : 0;
	if (rc == 0 && size <= in->hold) {
		if (mbx_buf_reserve(&held, size) < 0 || fx_blob_write(cv->blob, buf_put, &held) < 0)
			rc = -1;
	} else if (rc == 0) {
		rc = fx_blob_write(cv->blob, put, &o);
	}
	if (held.len)
		mbx_sha256_update(o.h, held.data, held.len);
	mbx_sha256_final(o.h, hex);
	o.h = NULL;
	o.write = 1;
	if (rc == 0) {
		frame_start(in, &hdr, size, hex);
		if (size <= in->hold)
			put(&o, held.data, held.len);
		else if (fx_blob_write(cv->blob, put, &o) < 0)   /* the header is out already */
			mbx_die(MBX_EXIT_IO, "'%s': message %lu changed while it was read",
				cv->it->file, cv->it->index);
		frame_end(in, &o, hex);
		if (fflush(in->out) == EOF)
			mbx_die(MBX_EXIT_IO, "cannot write to stdout: %s", strerror(errno));
	}
	mbx_buf_free(&hdr);
	mbx_buf_free(&held);
	mbx_buf_free(&o.enc);
	mbx_buf_free(&o.chunk);
	return rc;
}

/* --------------------------------------------------------------- one message */

static void
conv_free(struct conv *cv)
{
	size_t i;

	fx_blob_free(cv->blob);
	mime_mapi_free(&cv->mapi);
	mime_msg_free(&cv->msg);
	for (i = 0; i < cv->ncats; i++)
		free(cv->cats[i]);
	free(cv->cats);
	free(cv->folder);
}

static int
empty(const struct mime_src *s)
{
	size_t i;

	for (i = 0; s->mem && i < s->len; i++)
		if (s->mem[i] != '\n' && s->mem[i] != '\r' && s->mem[i] != ' ' && s->mem[i] != '\t')
			return 0;
	return s->mem != NULL;
}

static int
bad(struct conv *cv, const char *code, const char *why)
{
	cv->code = code;
	mbx_strlcpy(cv->why, why, sizeof cv->why);
	return -1;
}

/* Parse, map, lay out: 0, or -1 with cv->code and cv->why. */
static int
convert(struct mime_in *in, struct conv *cv)
{
	struct mime_item *it = cv->it;
	char err[512];
	unsigned d;

	if (it->error)
		return bad(cv, "Unreadable", it->error);
	if (empty(&it->src))
		return bad(cv, "EmptyMessage", "the message is empty");
	if (mime_parse(&cv->msg, &it->src, err, sizeof err) < 0)
		return bad(cv, "BadMessage", err);
	if (it->truncated && cv->msg.open_at_end)
		return bad(cv, "TruncatedMessage", "the input ends inside it (a MIME "
				  "part is still open and the last line has no end)");
	if (in->labels != MIME_LABELS_NONE)
		gmail_labels(in, cv, cv->msg.root);
	if (!cv->folder && it->folder)
		cv->folder = mbx_strdup(it->folder);
	keywords(cv, cv->msg.root);
	it->env.categories = (const char *const *)cv->cats;
	it->env.ncategories = cv->ncats;
	d = cv->mapi.defects;                 /* what the labels had; mapping starts afresh */
	if (mime_to_mapi(&cv->mapi, &cv->msg, &it->env, err, sizeof err) < 0)
		return bad(cv, "BadMessage", err);
	cv->mapi.defects |= d;
	if (!cv->mapi.message_id)              /* the id of a message without Message-ID */
		message_hash(&cv->msg, cv->id, sizeof cv->id);
	if (!(cv->blob = fx_layout(&cv->mapi.m, 0)))
		return bad(cv, "TooLarge", "its properties are larger than 64 MiB or "
				  "it nests more than 32 messages");
	if (fx_blob_size(cv->blob) > MIME_ITEM_MAX)
		return bad(cv, "TooLarge", "the item would be larger than 150 MB, "
				  "the service's limit");
	return 0;
}

/* The Message-ID of a message that failed after it was parsed, for its error record. */
static void
failed_id(const struct conv *cv, char *id, size_t n)
{
	unsigned d = 0;
	char *v = mime_field(cv->msg.root, "Message-ID"), *m = mime_utf8_own(mime_msgid(v), &d);

	mbx_strlcpy(id, m ? m : "", n);
	free(m);
	free(v);
}

int
mime_in_convert(struct mime_in *in, struct mime_item *it, const char **code, char *why,
		size_t whylen, char *id, size_t idlen)
{
	struct conv cv;
	int rc, w = 0;

	memset(&cv, 0, sizeof cv);
	cv.it = it;
	*code = NULL;
	if (whylen)
		why[0] = '\0';
	in->messages++;
	in->bytes_in += it->src.len;
	rc = convert(in, &cv);
	if (rc == 0 && (w = write_frame(in, &cv)) == -2)
		rc = bad(&cv, "TooLarge", "its header is larger than a frame header holds (1 MiB) "
			 "even with its summary cut");
	else if (rc == 0 && w < 0)
		rc = bad(&cv, "Unreadable", "its attachment data could not be read");
	if (rc == 0) {
		in->items++;
		in->defective += cv.mapi.defects != 0;
	} else {
		*code = cv.code;
		mbx_strlcpy(why, cv.why, whylen);
	}
	mbx_strlcpy(id, cv.mapi.message_id ? cv.mapi.message_id : cv.id, idlen);
	if (rc < 0 && !*id && cv.msg.root)         /* failed before the mapping */
		failed_id(&cv, id, idlen);
	conv_free(&cv);
	return rc;
}

int
mime_in_item(void *ctx, struct mime_item *it)
{
	struct mime_in *in = ctx;
	const char *code;
	char why[512], id[1024];

	if (mime_in_convert(in, it, &code, why, sizeof why, id, sizeof id) < 0)
		item_error(in, it, id, code, why);
	return 0;
}

/* -------------------------------------------------------------------- inputs */

static void
input_error(struct mime_in *in, int rc, const char *msg)
{
	mbx_err("%s", msg);
	in->worst = mbx_exit_worst(in->worst, rc);
}

void
mime_in_path(struct mime_in *in, const char *path)
{
	char err[1024], line[1024];
	struct stat st;
	FILE *f;
	size_t n;
	int rc;

	if (strcmp(path, "-") == 0) {
		if ((rc = mime_mbox_read(stdin, "stdin", mime_in_item, in, err, sizeof err)) != 0)
			input_error(in, rc, err);
		return;
	}
	if (stat(path, &st) < 0 || (!S_ISDIR(st.st_mode) && !(f = fopen(path, "rb")))) {
		snprintf(err, sizeof err, "cannot open '%s': %s", path, strerror(errno));
		input_error(in, MBX_EXIT_IO, err);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		if ((rc = mime_maildir_read(path, mime_in_item, in, err, sizeof err)) != 0)
			input_error(in, rc, err);
		return;
	}
	n = fread(line, 1, sizeof line, f);
	if (mime_is_from_line(line, n)) {             /* an mbox */
		rewind(f);
		if ((rc = mime_mbox_read(f, path, mime_in_item, in, err, sizeof err)) != 0)
			input_error(in, rc, err);
		fclose(f);
		return;
	}
	fclose(f);                                    /* one message */
	mime_file_read(path, NULL, NULL, mime_in_item, in);
}
