/* write.c: a FastTransfer message as an RFC 5322/MIME message, by MS-OXCMAIL 2.1.3.
 * The body is chosen by PidTagNativeBody (2.1.3.3; MS-OXCMSG 2.2.1.58.2): HTML decoded
 * from PidTagInternetCodepage and written as UTF-8 with a text/plain twin; compressed
 * RTF decompressed (MS-OXRTFCP) and de-encapsulated (MS-OXRTFEX) or stripped to text
 * with the RTF attached; PidTagBody as it is. The structure is
 *   mixed { related { alternative { plain, html }, inline images }, attachments }
 * with every level left out that has one child (2.1.3.3.4, 2.1.3.3.6). An attachment is
 * inline when the HTML refers to its Content-ID or Content-Location (2.1.3.4.1.2; the
 * flag alone is not needed: Exchange Online leaves it unset). Embedded messages are
 * message/rfc822 parts, written the same way; S/MIME content is written verbatim.
 * Attachment data is base64-encoded from the parsed stream as it is written: no copy. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mime-int.h"

struct wr {
	struct mime_sink *s;
	const struct mime_meta *m;
	struct mime_result *r;
	unsigned seq;              /* boundaries made so far */
	unsigned long seed;        /* a hash of the item: boundaries are stable per item */
	int depth;                 /* 0: the item; embedded messages below it */
};

/* A message's bodies, UTF-8. */
struct body {
	struct mbx_buf html, text;
	int has_html, has_text;
	const struct fx_prop *rtf;            /* RTF to attach as it is (decompressed in rtfraw) */
	struct mbx_buf rtfraw;
	const struct fx_prop *orig;           /* an undecodable or lossy original, attached */
	const char *orig_name, *orig_type;
};

static void
problem(struct wr *w, int damaged, const char *fmt, ...) MBX_ATTR_PRINTF(3, 4);

static void
problem(struct wr *w, int damaged, const char *fmt, ...)
{
	va_list ap;

	if (damaged)
		w->r->damaged++;
	else
		w->r->lossy++;
	if (w->r->problem[0])
		return;
	va_start(ap, fmt);
	vsnprintf(w->r->problem, sizeof w->r->problem, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ bodies */

/* A string property decoded into out as UTF-8, without its terminating NULs: 1, or 0
 * when it is absent or not a string. 8-bit strings are in the message code page. */
static int
prop_utf8(const struct fx_obj *o, const struct fx_prop *p, struct mbx_buf *out)
{
	unsigned t = p ? p->tag & 0xFFFF : 0, cp;
	long long mcp = 1252;
	size_t len = p ? p->len : 0, bad;
	char err[80];

	if (t == 0x001F || t == 0x84B0) {
		while (len >= 2 && p->val[len - 1] == 0 && p->val[len - 2] == 0)
			len -= 2;
		cp = 1200;
	} else if (t == 0x001E || ((t & 0x8000) && !(t & 0x1000))) {
		while (len >= 1 && p->val[len - 1] == 0)
			len--;
		mime_int(o, P_MESSAGE_CODEPAGE, &mcp);
		cp = t == 0x001E ? (unsigned)mcp : t & 0x7FFF;
	} else {
		return 0;
	}
	if (mime_decode_cp(out, cp, p->val, len, &bad, err, sizeof err) < 0 &&
	    mime_decode_cp(out, 1252, p->val, len, &bad, err, sizeof err) < 0)
		return 0;
	return 1;
}

/* 1252 for the labels the WHATWG Encoding Standard reads as windows-1252 (US-ASCII and
 * ISO-8859-1 HTML is windows-1252 in every browser). */
static unsigned
html_cp(const struct fx_obj *o)
{
	long long cp = 0;

	if (mime_int(o, P_INTERNET_CODEPAGE, &cp) < 0 || cp <= 0)
		cp = 0;
	return cp == 20127 || cp == 28591 ? 1252 : (unsigned)cp;
}

/* PidTagHtml: bytes in PidTagInternetCodepage (MS-OXCMSG 2.2.1.58.6) or a string. */
static void
html_body(struct wr *w, const struct fx_obj *o, struct body *b)
{
	const struct fx_prop *h = fx_get(o, P_HTML);
	struct mbx_buf u;
	unsigned cp = html_cp(o);
	size_t bad = 0;
	char err[80];

	mbx_buf_init(&u, 0);
	if ((h->tag & 0xFFFF) != 0x0102) {
		prop_utf8(o, h, &u);
	} else if (mime_decode_cp(&u, cp ? cp : 1252, h->val, h->len, &bad, err, sizeof err) < 0) {
		mbx_buf_reset(&u);
		mime_decode_cp(&u, 1252, h->val, h->len, &bad, err, sizeof err);
		b->orig = h, b->orig_name = "original-body.html", b->orig_type = "text/html";
		problem(w, 0, "HTML body in code page %s: decoded as windows-1252, the original "
			"attached", err + strlen("unknown code page "));
	} else if (bad) {
		b->orig = h, b->orig_name = "original-body.html", b->orig_type = "text/html";
		problem(w, 0, "HTML body has bytes that are not %s: replaced, the original "
			"attached", mime_cp_name(cp ? cp : 1252));
	}
	mime_html_utf8_meta(&b->html, u.data ? u.data : "", u.len);
	mbx_buf_free(&u);
	b->has_html = 1;
}

/* PidTagRtfCompressed: 1 when it gave a body. */
static int
rtf_body(struct wr *w, const struct fx_obj *o, struct body *b)
{
	const struct fx_prop *p = fx_get(o, P_RTF_COMPRESSED);
	struct mbx_buf out;
	char err[200];
	int kind;

	if ((p->tag & 0xFFFF) != 0x0102)
		return 0;
	if (mime_lzfu_decompress(&b->rtfraw, p->val, p->len, err, sizeof err) < 0) {
		b->orig = p, b->orig_name = "body.rtf.lzfu", b->orig_type = "application/octet-stream";
		problem(w, 1, "%s: the compressed RTF body is attached as it is", err);
		return 0;
	}
	mbx_buf_init(&out, 0);
	if (mime_rtf_decode(&out, b->rtfraw.data, b->rtfraw.len, &kind, err, sizeof err) < 0) {
		b->rtf = p;
		problem(w, 1, "%s: the RTF body is attached as it is", err);
		mbx_buf_free(&out);
		return 0;
	}
	if (kind == MIME_RTF_NONE)
		b->rtf = p;              /* its text stands in for it; the RTF goes along */
	if (kind == MIME_RTF_HTML) {
		mbx_buf_append(&b->html, out.data ? out.data : "", out.len);
		b->has_html = 1;
	} else if (!fx_get(o, P_BODY)) {
		mbx_buf_append(&b->text, out.data ? out.data : "", out.len);
		b->has_text = 1;
	}
	mbx_buf_free(&out);
	return 1;
}

/* MS-OXBBODY's choice: the native body when it is there, else HTML, RTF, plain. */
static void
choose_body(struct wr *w, const struct fx_obj *o, struct body *b)
{
	long long native = 0;
	int html = fx_get(o, P_HTML) != NULL, rtf = fx_get(o, P_RTF_COMPRESSED) != NULL;

	mime_int(o, P_NATIVE_BODY, &native);
	if (html && (native == 3 || (native != 2 && native != 1) || !rtf))
		html_body(w, o, b);
	else if (rtf && !rtf_body(w, o, b) && html)
		html_body(w, o, b);
	if (!b->has_text && prop_utf8(o, fx_get(o, P_BODY), &b->text))
		b->has_text = 1;
	if (b->has_html && !b->has_text) {
		mime_html_text(&b->text, b->html.data ? b->html.data : "", b->html.len);
		b->has_text = 1;
	}
	if (!b->has_text && !b->has_html)
		b->has_text = 1;         /* an empty text/plain: the message has no body */
}

/* --------------------------------------------------------------- entities */

static void
put_head(struct wr *w, struct mbx_buf *h)
{
	mbx_buf_putc(h, '\n');
	mime_sink_put(w->s, h->data, h->len);
	mbx_buf_reset(h);
}

/* "=_mbx_<seq>.<hash>": '=' and '_' never stand together in quoted-printable or
 * base64 text, and text written as it is is checked for "=_mbx" (text_part). */
static void
boundary(struct wr *w, char *out, size_t n)
{
	snprintf(out, n, "=_mbx_%u.%08lx", ++w->seq, w->seed & 0xffffffffUL);
}

static void
multipart(struct wr *w, struct mbx_buf *h, const char *subtype, const char *type,
	  char *bnd, size_t n)
{
	char ct[32];
	struct mime_param p[2] = { { "boundary", bnd }, { "type", type } };

	boundary(w, bnd, n);
	snprintf(ct, sizeof ct, "multipart/%s", subtype);
	mime_hdr_params(h, "Content-Type", ct, p, type ? 2 : 1);
	put_head(w, h);
}

static void
delimiter(struct wr *w, const char *bnd, int last)
{
	mime_sink_put(w->s, "--", 2);
	mime_sink_puts(w->s, bnd);
	mime_sink_puts(w->s, last ? "--\n" : "\n");
}

/* A text part, UTF-8: 7bit or 8bit when it can be (8bit only in the item itself, so an
 * embedded message is 7bit as message/rfc822 needs, RFC 2046 5.2.1), else QP. A final
 * line end is kept by an empty line before the delimiter. */
static void
text_part(struct wr *w, struct mbx_buf *h, const char *type, const struct mbx_buf *t)
{
	struct mime_param cs = { "charset", "utf-8" };
	const char *p = t->data ? t->data : "", *cte = mime_text_cte(p, t->len, w->depth == 0);

	if (strcmp(cte, "quoted-printable") != 0 && memmem(p, t->len, "=_mbx", 5))
		cte = "quoted-printable";
	mime_hdr_params(h, "Content-Type", type, &cs, 1);
	mbx_buf_puts(h, "Content-Transfer-Encoding: ");
	mbx_buf_puts(h, cte);
	mbx_buf_putc(h, '\n');
	put_head(w, h);
	if (strcmp(cte, "quoted-printable") == 0)
		mime_qp_body(w->s, p, t->len);
	else
		mime_text_body(w->s, p, t->len);
	if (t->len && (p[t->len - 1] == '\n' || p[t->len - 1] == '\r'))
		mime_sink_put(w->s, "\n", 1);
}

static void
alternative(struct wr *w, struct mbx_buf *h, struct body *b)
{
	char bnd[48];

	if (!b->has_html) {
		text_part(w, h, "text/plain", &b->text);
		return;
	}
	multipart(w, h, "alternative", NULL, bnd, sizeof bnd);
	delimiter(w, bnd, 0);
	text_part(w, h, "text/plain", &b->text);
	delimiter(w, bnd, 0);
	text_part(w, h, "text/html", &b->html);
	delimiter(w, bnd, 1);
}

/* ------------------------------------------------------------ attachments */

static void write_message(struct wr *w, const struct fx_obj *o, struct mbx_buf *h);

/* 2.1.3.4.2.1: PidTagAttachLongFilename, PidTagAttachFilename, PidTagDisplayName. */
static char *
attach_name(const struct fx_obj *a)
{
	static const uint16_t ids[] = { P_ATTACH_LONG_FILENAME, P_ATTACH_FILENAME, P_DISPLAY_NAME };
	char *n, *ext;
	size_t i;
	long long num = 0;

	for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		if ((n = mime_text(a, ids[i])) != NULL && *n)
			return n;
		free(n);
	}
	mime_int(a, P_ATTACH_NUMBER, &num);
	ext = mime_text(a, P_ATTACH_EXTENSION);
	n = mbx_xmalloc(64);
	snprintf(n, 64, "attachment%lld%.16s", num + 1, ext ? ext : "");
	free(ext);
	return n;
}

static int
cid_of(const struct fx_obj *a, char *out, size_t n)
{
	char *c = mime_text(a, P_ATTACH_CONTENT_ID);
	size_t k;

	out[0] = '\0';
	if (c && *c) {
		k = strlen(c);
		if (c[0] == '<' && k > 2 && c[k - 1] == '>')
			snprintf(out, n, "%.*s", (int)(k - 2), c + 1);
		else
			snprintf(out, n, "%s", c);
	}
	free(c);
	return out[0] != '\0';
}

/* Content-ID, Content-Location, Content-Disposition with the file name. */
static void
attach_fields(struct mbx_buf *h, const struct fx_obj *a, const char *name, int inl)
{
	struct mime_param fn = { "filename", name };
	char cid[512], *loc;

	mime_hdr_params(h, "Content-Disposition", inl ? "inline" : "attachment", &fn, 1);
	if (cid_of(a, cid, sizeof cid))
		mbx_buf_printf(h, "Content-ID: <%s>\n", cid);
	if ((loc = mime_text(a, P_ATTACH_CONTENT_LOCATION)) != NULL && *loc)
		mime_hdr_raw(h, "Content-Location", loc);
	free(loc);
}

/* An embedded message (attach method 5) as message/rfc822 (2.1.3.4.1.3). */
static void
embedded_part(struct wr *w, struct mbx_buf *h, const struct fx_obj *a, const char *name)
{
	size_t k = strlen(name);
	char *eml = mbx_xmalloc(k + 5);
	struct mime_param fn = { "filename", eml };
	struct mbx_buf eh;

	/* the name of a message is its subject: a file name wants an extension */
	snprintf(eml, k + 5, "%s%s", name, k >= 4 && !strcasecmp(name + k - 4, ".eml") ? "" :
		 ".eml");
	mbx_buf_puts(h, "Content-Type: message/rfc822\n");
	mime_hdr_params(h, "Content-Disposition", "attachment", &fn, 1);
	put_head(w, h);
	mbx_buf_init(&eh, 0);
	w->depth++;
	write_message(w, a->embedded, &eh);
	w->depth--;
	mbx_buf_free(&eh);
	free(eml);
}

/* A message/... attachment (delivery-status, external-body, ...) other than an embedded
 * message: no encoding but 7bit, 8bit or binary is allowed for a "message" type (RFC
 * 2045 6.4, RFC 2046 5.2.4; RFC 3464 2.1 for delivery-status), so its data goes as it is
 * when its lines allow (8bit only in the item itself, as for text_part). Returns 0 when
 * they do not (a NUL, a line over 998 bytes): base64 then keeps the bytes, against the
 * rule, rather than lose them. */
static int
line_safe(struct wr *w, struct mbx_buf *h, const struct fx_prop *d)
{
	const char *v = (const char *)d->val, *cte = mime_text_cte(v, d->len, w->depth == 0);

	if (strcmp(cte, "quoted-printable") == 0 || memmem(v, d->len, "=_mbx", 5))
		return 0;
	mbx_buf_puts(h, "Content-Transfer-Encoding: ");
	mbx_buf_puts(h, cte);
	mbx_buf_putc(h, '\n');
	put_head(w, h);
	mime_text_body(w->s, v, d->len);
	if (d->len && (v[d->len - 1] == '\n' || v[d->len - 1] == '\r'))
		mime_sink_put(w->s, "\n", 1);
	return 1;
}

static void
attach_part(struct wr *w, struct mbx_buf *h, const struct fx_obj *a, int inl)
{
	const struct fx_prop *d = fx_get(a, P_ATTACH_DATA);
	long long method = 1;
	char *name = attach_name(a), *type;
	struct mime_param p[2] = { { "name", name }, { "charset", NULL } };

	mime_int(a, P_ATTACH_METHOD, &method);
	if (method == 5 && a->embedded) {
		embedded_part(w, h, a, name);
		free(name);
		return;
	}
	type = mime_attach_type(a, name);
	if (strncmp(type, "text/", 5) == 0)
		p[1].value = mime_text(a, P_TEXT_ATTACH_CHARSET);
	mime_hdr_params(h, "Content-Type", type, p, 2);
	attach_fields(h, a, name, inl);
	if (method != 1 && method != 5)
		mbx_buf_printf(h, "X-Mbx-Attach-Method: %lld\n", method);
	if (!d || (d->tag & 0xFFFF) != 0x0102 || strncasecmp(type, "message/", 8) != 0 ||
	    !line_safe(w, h, d)) {
		mbx_buf_puts(h, "Content-Transfer-Encoding: base64\n");
		put_head(w, h);
		if (d && (d->tag & 0xFFFF) == 0x0102)
			mime_b64_body(w->s, d->val, d->len);
	}
	free((char *)p[1].value);
	free(type);
	free(name);
}

/* A body original that could not be used as it is, attached (nothing is lost). */
static void
raw_part(struct wr *w, struct mbx_buf *h, const char *name, const char *type,
	 const void *p, size_t n)
{
	struct mime_param fn = { "name", name };

	mime_hdr_params(h, "Content-Type", type, &fn, 1);
	fn.name = "filename";
	mime_hdr_params(h, "Content-Disposition", "attachment", &fn, 1);
	mbx_buf_puts(h, "Content-Transfer-Encoding: base64\n");
	put_head(w, h);
	mime_b64_body(w->s, p, n);
}

/* ------------------------------------------------------------ structure */

struct plan {
	const struct fx_obj **inl, **att;
	size_t ninl, natt;
};

static void
plan_attachments(const struct fx_obj *o, const struct body *b, struct plan *pl)
{
	const char *html = b->html.data ? b->html.data : "";
	char cid[512], *loc;
	size_t i;
	int ref;

	pl->inl = mbx_xcalloc(o->nattachs + 1, sizeof *pl->inl);
	pl->att = mbx_xcalloc(o->nattachs + 1, sizeof *pl->att);
	pl->ninl = pl->natt = 0;
	for (i = 0; i < o->nattachs; i++) {
		const struct fx_obj *a = o->attachs[i];
		ref = 0;
		if (b->has_html && !a->embedded) {
			loc = mime_text(a, P_ATTACH_CONTENT_LOCATION);
			ref = mime_html_refers(html, b->html.len, cid_of(a, cid, sizeof cid) ? cid :
					       NULL, loc);
			free(loc);
		}
		if (ref)
			pl->inl[pl->ninl++] = a;
		else
			pl->att[pl->natt++] = a;
	}
}

/* related { alternative, inline parts } (2.1.3.3.6), or the alternative alone. */
static void
related(struct wr *w, struct mbx_buf *h, struct body *b, const struct plan *pl)
{
	char bnd[48];
	size_t i;

	if (!pl->ninl) {
		alternative(w, h, b);
		return;
	}
	multipart(w, h, "related", "multipart/alternative", bnd, sizeof bnd);
	delimiter(w, bnd, 0);
	alternative(w, h, b);
	for (i = 0; i < pl->ninl; i++) {
		delimiter(w, bnd, 0);
		attach_part(w, h, pl->inl[i], 1);
	}
	delimiter(w, bnd, 1);
}

static void
structure(struct wr *w, struct mbx_buf *h, struct body *b, const struct plan *pl)
{
	char bnd[48];
	size_t i;

	if (!pl->natt && !b->rtf && !b->orig) {
		related(w, h, b, pl);
		return;
	}
	multipart(w, h, "mixed", NULL, bnd, sizeof bnd);
	delimiter(w, bnd, 0);
	related(w, h, b, pl);
	for (i = 0; i < pl->natt; i++) {
		delimiter(w, bnd, 0);
		attach_part(w, h, pl->att[i], 0);
	}
	if (b->rtf) {
		delimiter(w, bnd, 0);
		raw_part(w, h, "body.rtf", "application/rtf", b->rtfraw.data ? b->rtfraw.data : "",
			 b->rtfraw.len);
	}
	if (b->orig) {
		delimiter(w, bnd, 0);
		raw_part(w, h, b->orig_name, b->orig_type, b->orig->val, b->orig->len);
	}
	delimiter(w, bnd, 1);
}

/* ----------------------------------------------------------------- S/MIME */

/* IPM.Note.SMIME.MultipartSigned: the attachment is the whole multipart/signed entity,
 * headers included (MS-OXOSMIME 2.1.3.1); IPM.Note.SMIME: it is the PKCS #7 object
 * (smime.p7m, 2.1.3.2). Written verbatim: only that keeps the signature valid. */
static int
smime(struct wr *w, const struct fx_obj *o, const char *cls, struct mbx_buf *h)
{
	const struct fx_prop *d = o->nattachs ? fx_get(o->attachs[0], P_ATTACH_DATA) : NULL;
	const char *v;
	size_t n;

	if (strncasecmp(cls, "IPM.Note.SMIME", 14) != 0 || !d || (d->tag & 0xFFFF) != 0x0102)
		return 0;
	v = (const char *)d->val;
	n = d->len;
	if (strcasecmp(cls, "IPM.Note.SMIME.MultipartSigned") == 0) {
		if (n < 13 || strncasecmp(v, "Content-Type:", 13) != 0)
			return 0;
		mime_sink_put(w->s, h->data, h->len);
		mime_sink_put(w->s, v, n);
		if (n && v[n - 1] != '\n')
			mime_sink_put(w->s, "\n", 1);
		return 1;
	}
	mbx_buf_puts(h, "Content-Type: application/pkcs7-mime; name=smime.p7m\n"
		     "Content-Disposition: attachment; filename=smime.p7m\n"
		     "Content-Transfer-Encoding: base64\n");
	put_head(w, h);
	mime_b64_body(w->s, v, n);
	return 1;
}

/* ---------------------------------------------------------------- messages */

/* MS-OXCMAIL 2.1.3: mail classes; the others are written as mail too (what maps:
 * subject, dates, body, attachments), their class in X-Mbx-Class. */
int
mime_mail_class(const char *cls)
{
	return strcasecmp(cls, "IPM.Note") == 0 || strncasecmp(cls, "IPM.Note.", 9) == 0 ||
	       strncasecmp(cls, "REPORT.", 7) == 0;
}

static void
write_message(struct wr *w, const struct fx_obj *o, struct mbx_buf *h)
{
	char *c = mime_text(o, P_MESSAGE_CLASS), *cls = c && *c ? c : mbx_strdup("IPM.Note");
	struct body b;
	struct plan pl;
	int mail = mime_mail_class(cls);

	if (c != cls)
		free(c);
	if (w->depth == 0) {
		w->r->mail = mail;
		snprintf(w->r->cls, sizeof w->r->cls, "%s", cls);
	}
	mime_head(h, o, w->m, cls, w->r, w->depth == 0);
	if (smime(w, o, cls, h)) {
		free(cls);
		return;
	}
	memset(&b, 0, sizeof b);
	mbx_buf_init(&b.html, 0);
	mbx_buf_init(&b.text, 0);
	mbx_buf_init(&b.rtfraw, 0);
	choose_body(w, o, &b);
	plan_attachments(o, &b, &pl);
	structure(w, h, &b, &pl);
	free(pl.inl);
	free(pl.att);
	mbx_buf_free(&b.html);
	mbx_buf_free(&b.text);
	mbx_buf_free(&b.rtfraw);
	free(cls);
}

/* FNV-1a of the item's id (or subject): boundaries differ between items and are the
 * same in every run. */
static unsigned long
item_seed(const struct fx_item *it, const struct mime_meta *m)
{
	const char *s = m->id;
	char *subj = s ? NULL : mime_text(&it->root, P_SUBJECT);
	uint64_t h = 0xcbf29ce484222325ULL;

	for (s = s ? s : subj ? subj : ""; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	free(subj);
	return (unsigned long)(h ^ h >> 32);
}

int
mime_write(struct mime_sink *s, const struct fx_item *it, const struct mime_meta *m,
	   struct mime_result *r)
{
	struct wr w = { s, m, r, 0, 0, 0 };
	struct mbx_buf h;

	memset(r, 0, sizeof *r);
	w.seed = item_seed(it, m);
	mbx_buf_init(&h, 0);
	write_message(&w, &it->root, &h);
	mbx_buf_free(&h);
	return s->err ? -1 : 0;
}
