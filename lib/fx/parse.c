/* parse.c: the FastTransfer parser: a blob read back into a tree of messages,
 * recipients and attachments, or just checked (docs/fasttransfer.md 4-8, 11). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "fx-int.h"

enum { SC_MSG, SC_WRAP, SC_RECIP, SC_ATTACH, SC_EMBED };
static const char *const sc_name[] = { "message", "message", "recipient", "attachment",
	"embedded message" };
static const char *const sc_end[] = { "", "EndMessage", "EndToRecip", "EndAttach",
	"EndEmbed" };

struct tbuf {
	size_t off, len;
};

/* Parser state. it == NULL: only check (no tree, no warning texts). */
struct fxp {
	struct fx_item *it;
	const unsigned char *blob, *s;   /* the blob; the stream */
	size_t nblob, n, off;
	struct tbuf *tbs;
	size_t ntbs, captbs;
	int status, framing_status;
	char err[256], framing_err[256];
	int nscope, nembed;
	unsigned char scope[FX_MAX_SCOPE];
	unsigned char late[FX_MAX_SCOPE];          /* message scope: recipients/attachments began */
	unsigned long sprops[FX_MAX_SCOPE];        /* properties read in this scope */
	struct fx_obj *obj[FX_MAX_SCOPE];
	unsigned long nprops, nnamed, nwarn;
};

static void
warn(struct fxp *p, const char *fmt, ...) MBX_ATTR_PRINTF(2, 3);

static void
warn(struct fxp *p, const char *fmt, ...)
{
	struct fx_item *it = p->it;
	char msg[512];
	va_list ap;

	p->nwarn++;
	if (!it)
		return;
	it->nwarn_total++;
	if (it->nwarnings >= FX_MAX_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!it->warnings)
		it->warnings = mbx_xcalloc(FX_MAX_WARN, sizeof *it->warnings);
	it->warnings[it->nwarnings++] = mbx_strdup(msg);
}

static void
fail(struct fxp *p, int status, const char *fmt, ...) MBX_ATTR_PRINTF(3, 4);

static void
fail(struct fxp *p, int status, const char *fmt, ...)
{
	va_list ap;

	if (p->status)
		return;
	p->status = status;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof p->err, fmt, ap);
	va_end(ap);
}

/* 11.4: check before every read; what/tag name the element for the message. */
static int
need(struct fxp *p, uint64_t k, const char *what, uint32_t tag)
{
	char of[24] = "";

	if (k <= p->n - p->off)
		return 0;
	if (tag)
		snprintf(of, sizeof of, " of 0x%08X", (unsigned)tag);
	fail(p, FX_TRUNCATED, "truncated at stream offset %zu while reading %s%s "
	     "(need %llu bytes, have %zu)", p->off, what, of, (unsigned long long)k,
	     p->n - p->off);
	return -1;
}

/* ------------------------------------------------------------ framing (3, 11.1) */

static void
add_tbuf(struct fxp *p, size_t off, size_t len)
{
	if (p->ntbs == p->captbs) {
		p->captbs = p->captbs ? 2 * p->captbs : 16;
		p->tbs = mbx_xrealloc(p->tbs, p->captbs * sizeof *p->tbs);
	}
	p->tbs[p->ntbs++] = (struct tbuf){ off, len };
}

/* Config, IsInterfaceOk and TellPartnerVersion are only checked against 3.1; a
 * difference is worth a warning, not a failure. */
static void
framing_header(struct fxp *p, uint32_t op, const unsigned char *v, size_t len, size_t at)
{
	static const unsigned char config[8] = { 0, 0, 0, 0, 1, 0, 0, 0 };
	static const unsigned char iface[24] = {
		1, 0, 0, 0, 0x07, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
		0xC0, 0, 0, 0, 0, 0, 0, 0x46, 0x00, 0x24, 0x00, 0x80 };

	if (op == 1 && (len != 8 || memcmp(v, config, 8)))
		warn(p, "Config record at blob offset %zu differs from {0,1}", at);
	else if (op == 3 && (len != 24 || memcmp(v, iface, 24)))
		warn(p, "IsInterfaceOk record at blob offset %zu differs from "
		     "{1, IID_IMessage, 0x80002400}", at);
	else if (op == 4 && len != 6)
		warn(p, "TellPartnerVersion record at blob offset %zu has %zu bytes, not 6", at, len);
	else if (op == 4 && p->it) {
		memcpy(p->it->version, v, 6);
		p->it->has_version = 1;
	} else if (op != 1 && op != 3 && op != 4)
		warn(p, "unknown record opcode %u at blob offset %zu skipped", (unsigned)op, at);
}

/* One record at *pos; 0 more may follow, -1 the framing ended early (truncated). */
static int
framing_record(struct fxp *p, size_t *pos)
{
	size_t at = *pos, rest = p->nblob - at, len;
	uint32_t op;

	if (rest < 8) {
		p->framing_status = FX_TRUNCATED;
		snprintf(p->framing_err, sizeof p->framing_err, "truncated at blob offset %zu "
			 "while reading record header (need 8 bytes, have %zu)", at, rest);
		return -1;
	}
	op = rd32(p->blob + at);
	len = rd32(p->blob + at + 4);
	if (len > rest - 8) {
		p->framing_status = FX_TRUNCATED;
		snprintf(p->framing_err, sizeof p->framing_err, "truncated at blob offset %zu "
			 "while reading %s record (need %zu bytes, have %zu)", at + 8,
			 op == 2 ? "TransferBuffer" : "framing", len, rest - 8);
		if (op == 2 && rest > 8)     /* 11.1.2: take what is there */
			add_tbuf(p, at + 8, rest - 8);
		return -1;
	}
	if (op == 2 && len == 0)
		warn(p, "empty TransferBuffer at blob offset %zu", at);
	else if (op == 2)
		add_tbuf(p, at + 8, len);
	else
		framing_header(p, op, p->blob + at + 8, len, at);
	*pos = at + 8 + len;
	return 0;
}

/* The Config record's header is the framing signature (11.1.2); a blob shorter than
 * it that matches as far as it goes is a framed blob cut short. */
static int
is_framed(const unsigned char *b, size_t n)
{
	static const unsigned char sig[8] = { 1, 0, 0, 0, 8, 0, 0, 0 };

	return n > 0 && memcmp(b, sig, n < 8 ? n : 8) == 0;
}

/* Read the records; the stream is then the TransferBuffers joined, or the whole blob
 * when there is no framing signature (a bare stream, 11.1.2). */
static void
read_framing(struct fxp *p)
{
	size_t pos = 0;

	if (!is_framed(p->blob, p->nblob)) {
		add_tbuf(p, 0, p->nblob);
		return;
	}
	while (pos < p->nblob && framing_record(p, &pos) == 0)
		;
	if (p->ntbs == 0 && p->framing_status == FX_OK) {
		p->framing_status = FX_TRUNCATED;
		snprintf(p->framing_err, sizeof p->framing_err, "truncated at blob offset %zu: "
			 "no TransferBuffer record", p->nblob);
	}
}

/* Point p->s at the stream: in place for one buffer, else joined into *join. */
static void
join_stream(struct fxp *p, struct mbx_buf *join, int copy)
{
	size_t i;

	p->n = 0;
	for (i = 0; i < p->ntbs; i++)
		p->n += p->tbs[i].len;
	if (p->ntbs == 1 && !copy) {
		p->s = p->blob + p->tbs[0].off;
		return;
	}
	mbx_buf_init(join, p->n + 1);
	for (i = 0; i < p->ntbs; i++)
		mbx_buf_append(join, p->blob + p->tbs[i].off, p->tbs[i].len);
	p->s = (const unsigned char *)(join->data ? join->data : "");
}

/* ------------------------------------------------------------ values (6) */

int
fx_fixed_size(unsigned type)
{
	switch (type) {
	case 0x0002: case 0x000B:
		return 2;
	case 0x0003: case 0x0004: case 0x000A:
		return 4;
	case 0x0005: case 0x0006: case 0x0007: case 0x0014: case 0x0040:
		return 8;
	case 0x0048:
		return 16;
	}
	return 0;
}

/* Variable-size single values (6.2, 6.3): u32 length + bytes. */
int
fx_is_var(unsigned type)
{
	return type == 0x001E || type == 0x001F || type == 0x0102 || type == 0x000D ||
	       type == 0x00FB || ((type & 0x8000) && (type & 0x9000) != 0x9000);
}

/* Multi-valued (6.4; 0x9000 set = code-page MV string, 6.3): 1 with *fixed the size
 * of one value (0 = each has its own length), or 0 when not a multi-valued type. */
int
fx_mv_type(unsigned type, int *fixed)
{
	unsigned base = type & 0x0FFF;

	*fixed = 0;
	if ((type & 0x9000) == 0x9000)
		return 1;
	if ((type & 0xF000) != 0x1000)
		return 0;
	if (base == 0x001E || base == 0x001F || base == 0x0102)
		return 1;
	if (base == 0x000A || base == 0x000B)   /* no MV Boolean or ErrorCode (6.4) */
		return 0;
	*fixed = fx_fixed_size(base);
	return *fixed > 0;
}

/* u32 count, then count values (6.4); p->off is after the tag and any name. */
static int
read_mv(struct fxp *p, struct fx_prop *pr, int fixed)
{
	size_t start;
	uint32_t i, len;

	if (need(p, 4, "count", pr->tag))
		return -1;
	pr->count = rd32(p->s + p->off);
	p->off += 4;
	start = p->off;
	if (need(p, (uint64_t)pr->count * (fixed ? (unsigned)fixed : 4u), "values", pr->tag))
		return -1;
	if (fixed) {
		p->off += (size_t)pr->count * (size_t)fixed;
	} else {
		for (i = 0; i < pr->count; i++) {
			if (need(p, 4, "value length", pr->tag))
				return -1;
			len = rd32(p->s + p->off);
			p->off += 4;
			if (need(p, len, "value", pr->tag))
				return -1;
			p->off += len;
		}
	}
	pr->val = p->s + start;
	pr->len = p->off - start;
	return 0;
}

static int
read_value(struct fxp *p, struct fx_prop *pr)
{
	unsigned type = pr->tag & 0xFFFF;
	int fixed = fx_fixed_size(type), mvfixed;

	if (pr->tag == FX_IDSET_GIVEN)
		fixed = 0, type = 0x0102;
	if (fixed) {
		if (need(p, (unsigned)fixed, "value", pr->tag))
			return -1;
		pr->len = (size_t)fixed;
	} else if (fx_is_var(type)) {
		if (need(p, 4, "length", pr->tag))
			return -1;
		pr->len = rd32(p->s + p->off);
		p->off += 4;
		if (need(p, pr->len, "value", pr->tag))
			return -1;
	} else if (fx_mv_type(type, &mvfixed)) {
		return read_mv(p, pr, mvfixed);
	} else {
		fail(p, FX_CORRUPT, "unknown property type 0x%04X at offset %zu", type,
		     pr->offset);
		return -1;
	}
	pr->val = p->s + p->off;
	p->off += pr->len;
	return 0;
}

/* A NUL-terminated UTF-16 name of less than 1024 bytes (6.5). */
static int
read_name_text(struct fxp *p, struct fx_prop *pr)
{
	size_t i, avail = p->n - p->off;

	for (i = 0; i + 1 < avail && i < FX_MAX_NAME; i += 2)
		if (p->s[p->off + i] == 0 && p->s[p->off + i + 1] == 0)
			break;
	if (i >= FX_MAX_NAME) {
		fail(p, FX_CORRUPT, "named property name at stream offset %zu longer "
		     "than %d bytes", p->off, FX_MAX_NAME);
		return -1;
	}
	if (need(p, i + 2, "named property name", pr->tag))
		return -1;
	pr->name = p->s + p->off;
	pr->name_len = i;
	p->off += i + 2;
	return 0;
}

/* 6.5: GUID, kind, then a LID or a name; any other kind is corrupt. */
static int
read_name(struct fxp *p, struct fx_prop *pr)
{
	if (need(p, 17, "named property header", pr->tag))
		return -1;
	pr->guid = p->s + p->off;
	pr->kind = p->s[p->off + 16];
	p->off += 17;
	if (pr->kind == 1)
		return read_name_text(p, pr);
	if (pr->kind != 0) {
		fail(p, FX_CORRUPT, "named property kind %d at stream offset %zu "
		     "(expected 0 or 1)", pr->kind, p->off - 1);
		return -1;
	}
	if (need(p, 4, "named property LID", pr->tag))
		return -1;
	pr->lid = rd32(p->s + p->off);
	p->off += 4;
	return 0;
}

/* ------------------------------------------------------------ tree */

static struct fx_obj *
obj_new(int kind)
{
	struct fx_obj *o = mbx_xcalloc(1, sizeof *o);

	o->kind = kind;
	return o;
}

static void
obj_clear(struct fx_obj *o)
{
	size_t i;

	for (i = 0; i < o->nrecips; i++) {
		obj_clear(o->recips[i]);
		free(o->recips[i]);
	}
	for (i = 0; i < o->nattachs; i++) {
		obj_clear(o->attachs[i]);
		free(o->attachs[i]);
	}
	if (o->embedded) {
		obj_clear(o->embedded);
		free(o->embedded);
	}
	free(o->props);
	free(o->recips);
	free(o->attachs);
	memset(o, 0, sizeof *o);
}

/* Append child to a message's recipient or attachment list. */
static struct fx_obj *
obj_child(struct fx_obj *msg, int kind)
{
	struct fx_obj ***v = kind == FX_RECIP ? &msg->recips : &msg->attachs;
	size_t *n = kind == FX_RECIP ? &msg->nrecips : &msg->nattachs;
	size_t *cap = kind == FX_RECIP ? &msg->caprecips : &msg->capattachs;

	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 4;
		*v = mbx_xrealloc(*v, *cap * sizeof **v);
	}
	(*v)[*n] = obj_new(kind);
	return (*v)[(*n)++];
}

static void
obj_prop(struct fx_obj *o, const struct fx_prop *pr)
{
	if (o->nprops == o->capprops) {
		o->capprops = o->capprops ? 2 * o->capprops : 16;
		o->props = mbx_xrealloc(o->props, o->capprops * sizeof *o->props);
	}
	o->props[o->nprops++] = *pr;
}

/* ------------------------------------------------------------ structure (7, 11.2) */

static int top(const struct fxp *p) { return p->scope[p->nscope - 1]; }

static int
in_message(const struct fxp *p)
{
	int s = top(p);

	return s == SC_MSG || s == SC_WRAP || s == SC_EMBED;
}

static void
push(struct fxp *p, int sc, struct fx_obj *o)
{
	if (p->nscope >= FX_MAX_SCOPE) {      /* cannot happen below the embed cap */
		fail(p, FX_CORRUPT, "nesting too deep at stream offset %zu", p->off);
		return;
	}
	p->scope[p->nscope] = (unsigned char)sc;
	p->late[p->nscope] = 0;
	p->sprops[p->nscope] = 0;
	p->obj[p->nscope++] = o;
	if (sc == SC_EMBED)
		p->nembed++;
}

static void
pop(struct fxp *p)
{
	if (p->nscope <= 1)
		return;
	if (top(p) == SC_EMBED)
		p->nembed--;
	p->nscope--;
}

/* Close the innermost scope sc and whatever is open inside it: the number of inner
 * scopes that had to be closed with it, or -1 when no such scope is open. */
static int
unwind(struct fxp *p, int sc)
{
	int i = p->nscope - 1, extra;

	while (i > 0 && p->scope[i] != sc)
		i--;
	if (i == 0)
		return -1;
	extra = p->nscope - 1 - i;
	while (p->nscope > i)
		pop(p);
	return extra;
}

static void
end_scope(struct fxp *p, int sc, size_t at)
{
	int extra = unwind(p, sc);

	if (extra < 0)
		warn(p, "%s at stream offset %zu without a matching start: ignored",
		     sc_end[sc], at);
	else if (extra > 0)
		warn(p, "%s at stream offset %zu closes %d more open scope(s)", sc_end[sc], at,
		     extra);
}

/* A list element (StartRecip, NewAttach) belongs to a message: close an unterminated
 * recipient or attachment first, as the grammar has no other place for it. */
static int
open_child(struct fxp *p, int sc, const char *what, size_t at)
{
	while (top(p) == SC_RECIP || (sc == SC_ATTACH && top(p) == SC_ATTACH)) {
		warn(p, "%s at stream offset %zu inside an open %s (%s missing)", what, at,
		     sc_name[top(p)], sc_end[top(p)]);
		pop(p);
	}
	if (!in_message(p)) {
		warn(p, "%s at stream offset %zu outside a message: ignored", what, at);
		return -1;
	}
	if (!p->late[p->nscope - 1])
		p->late[p->nscope - 1] = 1;
	push(p, sc, p->it ? obj_child(p->obj[p->nscope - 1],
				       sc == SC_RECIP ? FX_RECIP : FX_ATTACH) : NULL);
	return 0;
}

static void
start_embed(struct fxp *p, size_t at)
{
	struct fx_obj *a = p->obj[p->nscope - 1], *m = NULL;

	if (top(p) != SC_ATTACH) {
		warn(p, "StartEmbed at stream offset %zu outside an attachment: ignored", at);
		return;
	}
	if (p->nembed >= FX_MAX_EMBED) {
		fail(p, FX_CORRUPT, "embedded messages nested deeper than %d at stream "
		     "offset %zu", FX_MAX_EMBED, at);
		return;
	}
	if (a) {
		if (a->embedded) {
			warn(p, "second StartEmbed in one attachment at stream offset %zu", at);
			obj_clear(a->embedded);
			free(a->embedded);
		}
		m = a->embedded = obj_new(FX_MESSAGE);
	}
	push(p, SC_EMBED, m);
}

/* 11.2: a StartMessage/StartFAIMsg wrapper around the root is accepted. */
static void
start_wrap(struct fxp *p, uint32_t m, size_t at)
{
	if (p->nscope == 1 && p->nprops == 0)
		push(p, SC_WRAP, p->obj[0]);
	else
		warn(p, "unexpected %s at stream offset %zu: ignored", fx_marker_name(m), at);
}

static void
marker(struct fxp *p, uint32_t m, size_t at)
{
	switch (m) {
	case MK_START_RECIP:
		open_child(p, SC_RECIP, "StartRecip", at);
		break;
	case MK_NEW_ATTACH:
		open_child(p, SC_ATTACH, "NewAttach", at);
		break;
	case MK_START_EMBED:
		start_embed(p, at);
		break;
	case MK_START_MESSAGE: case MK_START_FAI:
		start_wrap(p, m, at);
		break;
	case MK_END_RECIP: end_scope(p, SC_RECIP, at); break;
	case MK_END_ATTACH: end_scope(p, SC_ATTACH, at); break;
	case MK_END_EMBED: end_scope(p, SC_EMBED, at); break;
	case MK_END_MESSAGE: end_scope(p, SC_WRAP, at); break;
	default:
		warn(p, "unexpected marker %s at stream offset %zu", fx_marker_name(m), at);
	}
}

/* 7 and 11.2: where a property may stand; deviations are warnings. */
static void
check_place(struct fxp *p, const struct fx_prop *pr)
{
	int d = p->nscope - 1, sc = top(p);

	if (pr->tag == FX_FXDELPROP) {
		uint32_t v = rd32(pr->val);
		if (!in_message(p))
			warn(p, "MetaTagFXDelProp at stream offset %zu outside a message", pr->offset);
		else if (v != FX_DEL_RECIPS && v != FX_DEL_ATTACHS)
			warn(p, "MetaTagFXDelProp at stream offset %zu names 0x%08X", pr->offset,
			     (unsigned)v);
	} else if (pr->tag == 0x400F0003) {
		warn(p, "MetaTagEcWarning 0x%08X at stream offset %zu", (unsigned)rd32(pr->val),
		     pr->offset);
	} else if (in_message(p) && p->late[d] == 1 && !fx_meta_name(pr->tag)) {
		p->late[d] = 2;         /* once per message */
		warn(p, "message property 0x%08X at stream offset %zu after recipients or "
		     "attachments", (unsigned)pr->tag, pr->offset);
	}
	if (p->sprops[d] == 0 && sc == SC_RECIP && pr->tag != 0x30000003)
		warn(p, "recipient at stream offset %zu does not start with PidTagRowid",
		     pr->offset);
	if (p->sprops[d] == 0 && sc == SC_ATTACH && pr->tag != 0x0E210003)
		warn(p, "attachment at stream offset %zu does not start with PidTagAttachNumber",
		     pr->offset);
}

static void
property(struct fxp *p, uint32_t tag, size_t at)
{
	struct fx_prop pr;
	unsigned type = tag & 0xFFFF;

	memset(&pr, 0, sizeof pr);
	pr.tag = tag;
	pr.offset = at;
	if ((tag >> 16) >= 0x8000 && read_name(p, &pr) < 0)
		return;
	if (read_value(p, &pr) < 0)
		return;
	if ((type == 0x001F || type == 0x84B0) && pr.len % 2)
		warn(p, "odd-length UTF-16 value of 0x%08X at stream offset %zu", (unsigned)tag,
		     at);
	check_place(p, &pr);
	p->nprops++;
	p->nnamed += pr.guid != NULL;
	p->sprops[p->nscope - 1]++;
	if (p->obj[p->nscope - 1])
		obj_prop(p->obj[p->nscope - 1], &pr);
}

/* 11.3/11.4: an open scope at the end of the data means the stream was cut short. */
static void
finish(struct fxp *p)
{
	int sc = top(p);

	if (p->nscope > 1)
		fail(p, FX_TRUNCATED, "truncated at stream offset %zu: end of data inside "
		     "an open %s (%s missing)", p->n, sc_name[sc], sc_end[sc]);
	else if (p->n == 0 && !p->framing_status)   /* no item is empty (12.3.4) */
		fail(p, FX_TRUNCATED, "truncated at stream offset 0: no data");
}

static void
parse_stream(struct fxp *p)
{
	while (!p->status && p->off < p->n) {
		size_t at = p->off;
		uint32_t tag;

		if (need(p, 4, "tag", 0))
			break;
		tag = rd32(p->s + at);
		p->off += 4;
		if (fx_marker_name(tag))
			marker(p, tag, at);
		else
			property(p, tag, at);
	}
	if (!p->status)
		finish(p);
}

/* The stream after the framing; the stream's own error wins over a framing
 * truncation, which then becomes a warning. */
static void
run_stream(struct fxp *p)
{
	push(p, SC_MSG, p->it ? &p->it->root : NULL);
	parse_stream(p);
	if (p->framing_status && p->status)
		warn(p, "%s", p->framing_err);
	else if (p->framing_status)
		fail(p, p->framing_status, "%s", p->framing_err);
}

/* Framing first, then the stream. */
static void
run(struct fxp *p, struct mbx_buf *join, int copy)
{
	read_framing(p);
	join_stream(p, join, copy);
	run_stream(p);
}

static void
fxp_init(struct fxp *p, struct fx_item *it, const void *blob, size_t n)
{
	memset(p, 0, sizeof *p);
	p->it = it;
	p->blob = blob ? blob : (const void *)"";
	p->nblob = blob ? n : 0;
}

int
fx_check(const void *blob, size_t n, char *err, size_t errlen)
{
	struct fxp p;
	struct mbx_buf join = { NULL, 0, 0, 0 };

	fxp_init(&p, NULL, blob, n);
	run(&p, &join, 0);
	if (err && errlen)
		snprintf(err, errlen, "%s", p.err);
	mbx_buf_free(&join);
	free(p.tbs);
	return p.status;
}

static int parse_done(struct fx_item *it, struct fxp *p, int framed, size_t n);

int
fx_parse(struct fx_item *it, const void *blob, size_t n)
{
	struct fxp p;

	memset(it, 0, sizeof *it);
	it->root.kind = FX_MESSAGE;
	fxp_init(&p, it, blob, n);
	run(&p, &it->stream, 1);
	return parse_done(it, &p, is_framed(p.blob, p.nblob), n);
}

/* The TransferBuffers moved together at the start of the blob's own memory (each
 * lands at or before where it was), which the item then keeps as its stream: a large
 * item is in memory once. */
int
fx_parse_take(struct fx_item *it, struct mbx_buf *blob)
{
	struct fxp p;
	size_t i, n = blob->len, at = 0;
	int framed;

	memset(it, 0, sizeof *it);
	it->root.kind = FX_MESSAGE;
	fxp_init(&p, it, blob->data, blob->len);
	framed = is_framed(p.blob, p.nblob);
	read_framing(&p);
	for (i = 0; i < p.ntbs; i++) {
		if (at != p.tbs[i].off)
			memmove(blob->data + at, blob->data + p.tbs[i].off, p.tbs[i].len);
		at += p.tbs[i].len;
	}
	it->stream = *blob;
	it->stream.len = at;
	if (it->stream.data)
		it->stream.data[at] = '\0';
	mbx_buf_init(blob, blob->max);
	p.s = (const unsigned char *)(it->stream.data ? it->stream.data : "");
	p.n = at;
	run_stream(&p);
	return parse_done(it, &p, framed, n);
}

static int
parse_done(struct fx_item *it, struct fxp *pp, int framed, size_t n)
{
	size_t i;

	it->status = pp->status;
	snprintf(it->error, sizeof it->error, "%s", pp->err);
	it->framed = framed;
	it->blob_bytes = n;
	it->nprops = pp->nprops;
	it->nnamed = pp->nnamed;
	if (it->framed && pp->ntbs) {
		it->tbufs = mbx_xcalloc(pp->ntbs, sizeof *it->tbufs);
		for (i = 0; i < pp->ntbs; i++)
			it->tbufs[i] = pp->tbs[i].len;
		it->ntbufs = pp->ntbs;
	}
	free(pp->tbs);
	return it->status;
}

void
fx_item_free(struct fx_item *it)
{
	size_t i;

	obj_clear(&it->root);
	for (i = 0; i < it->nwarnings; i++)
		free(it->warnings[i]);
	free(it->warnings);
	free(it->tbufs);
	mbx_buf_free(&it->stream);
	memset(it, 0, sizeof *it);
}
