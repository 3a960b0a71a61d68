/* summary.c: the summary mbx-frames --annotate puts into an item's header (issue 15
 * item 4), so that jq can select whole items of an archive by what they are: subject,
 * people, times, attachments, size. Names follow Graph's message resource where one
 * exists (sentDateTime, receivedDateTime, hasAttachments). */
#include <stdlib.h>
#include <string.h>
#include "mime-int.h"

static const char *const keys[] = { "subject", "from", "to", "cc", "bcc", "sentDateTime",
	"receivedDateTime", "hasAttachments", "attachments", "itemSize", "summaryCut", NULL };

const struct mime_cut mime_cuts[MIME_NCUTS] = {
	{ SIZE_MAX, SIZE_MAX },
	{ 1024, 100 },             /* as mbx-frames --report's fields */
	{ 256, 0 },
};

void
mime_jw_cut(struct mbx_jw *w, const char *s, const struct mime_cut *cut)
{
	size_t n, i = 0, k;

	if (!s || (n = strlen(s)) <= cut->str) {
		mbx_jw_str(w, s);
		return;
	}
	for (; i < n; i += k) {
		k = (unsigned char)s[i] < 0x80 ? 1 : mbx_utf8_seq((const unsigned char *)s + i, n - i);
		k += !k;                   /* a stray byte is one (the writer makes it U+FFFD) */
		if (i + k > cut->str)
			break;
	}
	mbx_jw_strn(w, s, i);
}

void
mime_jw_cut_flag(struct mbx_jw *w, const struct mime_cut *cut)
{
	if (cut == mime_cuts)
		return;
	mbx_jw_key(w, "summaryCut");
	mbx_jw_bool(w, 1);
}

int
mime_summary_key(const char *key)
{
	const char *const *k;

	for (k = keys; *k; k++)
		if (strcmp(key, *k) == 0)
			return 1;
	return 0;
}

static void
k_time(struct mbx_jw *w, const char *key, const struct fx_obj *o, uint16_t id)
{
	char iso[32];
	long long t;

	mbx_jw_key(w, key);
	if (mime_time(o, id, &t) == 0) {
		mime_iso(t, iso, sizeof iso);
		mbx_jw_str(w, iso);
	} else {
		mbx_jw_null(w);
	}
}

static void
k_from(struct mbx_jw *w, const struct fx_obj *o, const struct mime_cut *cut)
{
	struct mime_who who = { 0 };
	char *s;

	mbx_jw_key(w, "from");
	if (mime_who_msg(o, MIME_FROM, &who) < 0 && mime_who_msg(o, MIME_SENDER, &who) < 0) {
		mbx_jw_null(w);
		return;
	}
	s = mime_who_str(&who);
	mime_jw_cut(w, s, cut);
	free(s);
	mime_who_free(&who);
}

/* to / cc / bcc: "Name <address>" strings (or the address alone), by recipient type. */
static void
k_recips(struct mbx_jw *w, const char *key, const struct fx_obj *o, int type,
	 const struct mime_cut *cut)
{
	struct mime_who who;
	size_t i, n = 0;
	char *s;

	mbx_jw_key(w, key);
	mbx_jw_arr(w);
	for (i = 0; i < o->nrecips && n < cut->list; i++) {
		memset(&who, 0, sizeof who);
		if (mime_recip_type(o->recips[i]) != type || mime_who_recip(o->recips[i], &who) < 0)
			continue;
		s = mime_who_str(&who);
		mime_jw_cut(w, s, cut);
		n++;
		free(s);
		mime_who_free(&who);
	}
	mbx_jw_end(w);
}

static void
k_attachments(struct mbx_jw *w, const struct fx_obj *o, const struct mime_cut *cut)
{
	static const uint16_t ids[] = { P_ATTACH_LONG_FILENAME, P_ATTACH_FILENAME, P_DISPLAY_NAME };
	size_t i, k;
	char *n;

	mbx_jw_key(w, "hasAttachments");
	mbx_jw_bool(w, o->nattachs > 0);
	mbx_jw_key(w, "attachments");
	mbx_jw_arr(w);
	for (i = 0; i < o->nattachs && i < cut->list; i++) {
		for (n = NULL, k = 0; k < sizeof ids / sizeof ids[0] && !n; k++)
			n = mime_text(o->attachs[i], ids[k]);
		mime_jw_cut(w, n ? n : "", cut);
		free(n);
	}
	mbx_jw_end(w);
}

void
mime_summary(struct mbx_jw *w, const struct fx_item *it, const struct mime_cut *cut)
{
	const struct fx_obj *o = &it->root;
	char *subj = mime_text(o, P_SUBJECT);

	mbx_jw_key(w, "subject");
	mime_jw_cut(w, subj, cut);
	free(subj);
	k_from(w, o, cut);
	k_recips(w, "to", o, 1, cut);
	k_recips(w, "cc", o, 2, cut);
	k_recips(w, "bcc", o, 3, cut);
	k_time(w, "sentDateTime", o, P_SUBMIT_TIME);
	k_time(w, "receivedDateTime", o, P_DELIVERY_TIME);
	k_attachments(w, o, cut);
	mbx_jw_kint(w, "itemSize", (long long)it->blob_bytes);
	mime_jw_cut_flag(w, cut);
}

/* The header's members but the summary's, then the summary cut as cut says: 0, or -1
 * when that does not fit in b. */
static int
annotated(struct mbx_buf *b, yajl_val hdr, const struct fx_item *it,
	  const struct mime_cut *cut)
{
	struct mbx_jw w;
	size_t i;

	mbx_buf_reset(b);
	mbx_jw_init(&w, b);
	mbx_jw_obj(&w);
	for (i = 0; hdr && YAJL_IS_OBJECT(hdr) && i < hdr->u.object.len; i++) {
		if (mime_summary_key(hdr->u.object.keys[i]))
			continue;
		mbx_jw_key(&w, hdr->u.object.keys[i]);
		mbx_jw_val(&w, hdr->u.object.values[i]);
	}
	mime_summary(&w, it, cut);
	mbx_jw_end(&w);
	return w.err ? -1 : 0;
}

/* The header members but the summary's, then the summary: a new header object. */
yajl_val
mime_annotate(yajl_val hdr, const void *payload, size_t n, char *err, size_t errlen)
{
	struct fx_item it;
	struct mbx_buf b;
	yajl_val out = NULL;
	int c, rc = -1;

	if (fx_parse(&it, payload, n) != FX_OK) {
		snprintf(err, errlen, "not a FastTransfer stream: %s", it.error);
		fx_item_free(&it);
		return NULL;
	}
	mbx_buf_init(&b, MBX_FRAME_HEADER_MAX - 256);   /* room for the frame's own members */
	for (c = 0; c < MIME_NCUTS && rc < 0; c++)
		rc = annotated(&b, hdr, &it, &mime_cuts[c]);
	if (rc < 0)
		snprintf(err, errlen, "annotated header larger than a frame header holds (1 MiB)");
	else if (!(out = mbx_json_parse(b.data, b.len, err, errlen)))
		snprintf(err, errlen, "annotated header does not parse");
	mbx_buf_free(&b);
	fx_item_free(&it);
	return out;
}
