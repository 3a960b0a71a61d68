/* record.c: NDJSON records in and out (mbx(7) RECORD FORMAT). */
#include <errno.h>
#include <poll.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base.h"

void
mbx_reader_init(struct mbx_reader *r, FILE *f, const char *name, size_t max_line)
{
	r->f = f;
	r->name = name ? name : "stdin";
	r->lineno = 0;
	r->eof = 0;
	mbx_buf_init(&r->line, max_line);
}

void
mbx_reader_free(struct mbx_reader *r)
{
	mbx_buf_free(&r->line);
}

/* Read one line into r->line without its LF. 1 line, 0 EOF, -1 too long (the rest of
 * the line is skipped so the next call starts at the next record). */
static int
read_line(struct mbx_reader *r)
{
	int end, over;
	size_t n;

	mbx_buf_reset(&r->line);
	if (r->eof)
		return 0;
	n = mbx_buf_getline(&r->line, r->f, &end, &over);
	if (end == EOF) {
		r->eof = 1;
		if (ferror(r->f))
			mbx_die(MBX_EXIT_IO, "cannot read %s: %s", r->name, strerror(errno));
		if (n == 0)
			return 0;
	}
	r->lineno++;
	return over ? -1 : 1;
}

static int
blank(const struct mbx_buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		if (!strchr(" \t\r", b->data[i]))
			return 0;
	return 1;
}

int
mbx_reader_next(struct mbx_reader *r, yajl_val *out, char *err, size_t errlen)
{
	char e[200];
	int rc;

	*out = NULL;
	mbx_records_flush();             /* the read may block */
	do
		rc = read_line(r);
	while (rc == 1 && blank(&r->line));
	if (rc == 0)
		return 0;
	if (rc < 0) {
		snprintf(err, errlen, "%s:%lu: line longer than %zu bytes", r->name, r->lineno,
			 r->line.max);
		return -1;
	}
	*out = mbx_json_parse_buf(&r->line, e, sizeof e);
	if (!*out || !YAJL_IS_OBJECT(*out)) {
		snprintf(err, errlen, "%s:%lu: not a JSON object%s%s", r->name, r->lineno,
			 *out ? "" : ": ", *out ? "" : e);
		yajl_tree_free(*out);
		*out = NULL;
		return -1;
	}
	return 1;
}

const char *
mbx_record_type(yajl_val rec)
{
	return mbx_json_str(rec, "type");
}

unsigned long mbx_records_out, mbx_errors_out;

static int out_tty = -1;       /* stdout is a terminal: each record is written at once */
static int out_failed;         /* and said so */

static void
out_fail(void)
{
	out_failed = 1;
	mbx_die(MBX_EXIT_IO, "cannot write to stdout: %s", strerror(errno ? errno : EIO));
}

/* At exit, what is still buffered goes out; a failed write is the exit status, not a
 * record lost in silence. exit(3) may not be called again from here. */
static void
flush_at_exit(void)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		if (!out_failed)
			mbx_err("cannot write to stdout: %s", strerror(errno ? errno : EIO));
		_exit(MBX_EXIT_IO);
	}
}

void
mbx_records_flush(void)
{
	if ((__fpending(stdout) && fflush(stdout) == EOF) || ferror(stdout))
		out_fail();
}

/* Records leave a stdio buffer at a time, not a write(2) each: the next stage, on the
 * same CPU, woke for every record and the two took turns (DESIGN-NOTES "Records out").
 * The buffer is written out whenever this process may block (mbx_records_flush: the
 * HTTP engine's wait, a read of the input, a lock) and before a line of stderr, so a
 * record never waits for anything but this process's own work, and records and
 * messages keep their order. */
void
mbx_record_emit(struct mbx_buf *b)
{
	if (out_tty < 0) {
		out_tty = isatty(STDOUT_FILENO);
		atexit(flush_at_exit);
	}
	mbx_records_out++;
	mbx_progress_hold(stdout);       /* a terminal's progress lines make room */
	if (fwrite(b->data ? b->data : "", 1, b->len, stdout) != b->len || putchar('\n') == EOF ||
	    (out_tty && fflush(stdout) == EOF))
		out_fail();
	mbx_progress_release();
}

void
mbx_rec_begin(struct mbx_rec *r, const char *type)
{
	mbx_buf_init(&r->b, 0);
	mbx_jw_init(&r->w, &r->b);
	mbx_jw_obj(&r->w);
	mbx_jw_kstr(&r->w, "type", type);
}

void
mbx_rec_str(struct mbx_rec *r, const char *k, const char *v)
{
	mbx_jw_kstr(&r->w, k, v);
}

void
mbx_rec_int(struct mbx_rec *r, const char *k, long long v)
{
	mbx_jw_kint(&r->w, k, v);
}

void
mbx_rec_bool(struct mbx_rec *r, const char *k, int v)
{
	mbx_jw_key(&r->w, k);
	mbx_jw_bool(&r->w, v);
}

void
mbx_rec_val(struct mbx_rec *r, const char *k, yajl_val v)
{
	mbx_jw_key(&r->w, k);
	mbx_jw_val(&r->w, v);
}

void
mbx_rec_end(struct mbx_rec *r)
{
	mbx_jw_end(&r->w);
	mbx_record_emit(&r->b);
	mbx_buf_free(&r->b);
}

/* mbx(7) "ERROR CODES" lists the same names (t9000). Exit: the status class of a run
 * that writes the record; the run goes on after each. */
const struct mbx_code mbx_codes[] = {
	{ "BadRecord", MBX_EXIT_PARTIAL, "an input line is not a record the program takes" },
	{ "BadFrame", MBX_EXIT_BADINPUT, "a frame is corrupt (mbx-mime goes on: exit 1)" },
	{ "BadItem", MBX_EXIT_PARTIAL, "an item's stream cannot be converted" },
	{ "BadMessage", MBX_EXIT_PARTIAL, "a message is not MIME that can be read" },
	{ "BadStream", MBX_EXIT_PARTIAL, "exportItems kept returning no FastTransfer stream" },
	{ "ConnectionFailed", MBX_EXIT_PARTIAL, "a call got no answer for one record" },
	{ "Damaged", MBX_EXIT_PARTIAL, "an item's body could not be decoded" },
	{ "DeltaStateMailbox", MBX_EXIT_PARTIAL, "a --delta state is of another mailbox" },
	{ "EmptyMessage", MBX_EXIT_PARTIAL, "a message of an mbox or directory is empty" },
	{ "FolderCreateFailed", MBX_EXIT_PARTIAL, "a folder could not be made" },
	{ "FolderDeleteFailed", MBX_EXIT_PARTIAL, "a folder could not be deleted" },
	{ "FolderDeltaFailed", MBX_EXIT_PARTIAL, "a folder delta round failed" },
	{ "FolderListFailed", MBX_EXIT_PARTIAL, "a folder's children could not be listed" },
	{ "FolderNotFound", MBX_EXIT_PARTIAL, "a folder path or id does not resolve" },
	{ "FolderRenameFailed", MBX_EXIT_PARTIAL, "a folder could not be renamed" },
	{ "FolderUnavailable", MBX_EXIT_PARTIAL, "an import's target folder cannot be had" },
	{ "FolderWalkFailed", MBX_EXIT_PARTIAL, "a mailbox's folder tree could not be read" },
	{ "ItemDeltaFailed", MBX_EXIT_PARTIAL, "an item delta round of a folder failed" },
	{ "ItemListFailed", MBX_EXIT_PARTIAL, "a folder's items could not be listed" },
	{ "MailboxNotFound", MBX_EXIT_PARTIAL, "a user or mailbox does not resolve" },
	{ "MalformedResponse", MBX_EXIT_PARTIAL, "an answer lacks what it must hold" },
	{ "NoData", MBX_EXIT_PARTIAL, "exportItems returned an item without data" },
	{ "NoFolderPath", MBX_EXIT_PARTIAL, "an item to import has no folderPath" },
	{ "NoPayload", MBX_EXIT_PARTIAL, "an item frame has no payload" },
	{ "NotReturned", MBX_EXIT_PARTIAL, "exportItems kept leaving an item out" },
	{ "SessionUnavailable", MBX_EXIT_PARTIAL, "no import session for the item's mailbox" },
	{ "TooLarge", MBX_EXIT_PARTIAL, "an item is over the service's size limit" },
	{ "TruncatedMessage", MBX_EXIT_PARTIAL, "the input ends inside a message" },
	{ "Unreadable", MBX_EXIT_PARTIAL, "a message or its attachment cannot be read" },
	{ "UserListFailed", MBX_EXIT_PARTIAL, "the tenant's users could not be listed" },
	{ NULL, 0, NULL }
};

void
mbx_rec_error(struct mbx_rec *r, const char *mailbox, const char *subject, const char *code,
	      const char *msg)
{
	mbx_err("%s", msg);
	mbx_rec_begin(r, "error");
	if (mailbox)
		mbx_rec_str(r, "mailbox", mailbox);
	if (subject)
		mbx_rec_str(r, "subject", subject);
	mbx_rec_str(r, "code", code ? code : "error");
	mbx_rec_str(r, "message", msg);
	mbx_rec_str(r, "program", mbx_progname);
	mbx_errors_out++;
}

void
mbx_record_error(const char *mailbox, const char *subject, const char *code,
		 const char *fmt, ...)
{
	struct mbx_rec r;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	mbx_rec_error(&r, mailbox, subject, code, msg);
	mbx_rec_end(&r);
}

void
mbx_mail_emit(yajl_val hdr, const char *cls, const char *file)
{
	static const char *const keep[] = { "mailbox", "id", "folderPath", NULL };
	const char *const *k;
	struct mbx_rec r;

	mbx_rec_begin(&r, "mail");
	for (k = keep; *k; k++)
		if (mbx_json_str(hdr, *k))
			mbx_rec_str(&r, *k, mbx_json_str(hdr, *k));
	mbx_rec_str(&r, "class", cls);
	mbx_rec_str(&r, "file", file);
	mbx_rec_end(&r);
}

void
mbx_record_write(yajl_val rec)
{
	struct mbx_buf b;
	struct mbx_jw w;
	const char *t = mbx_record_type(rec);

	if (t && strcmp(t, "error") == 0)      /* upstream errors passed on count too */
		mbx_errors_out++;
	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_val(&w, rec);
	mbx_record_emit(&b);
	mbx_buf_free(&b);
}

int
mbx_exit_worst(int a, int b)
{
	if (a == MBX_EXIT_OK || a == MBX_EXIT_PARTIAL)
		return b > a || (b != MBX_EXIT_OK && b != MBX_EXIT_PARTIAL) ? b : a;
	return a;
}

void
mbx_err_clear(struct mbx_err *e)
{
	e->kind = MBX_ERR_NONE;
	e->code[0] = e->msg[0] = '\0';
	e->reported = 0;
}

void
mbx_err_set(struct mbx_err *e, enum mbx_err_kind kind, const char *code, const char *fmt, ...)
{
	va_list ap;

	e->kind = kind;
	e->reported = 0;
	mbx_strlcpy(e->code, code ? code : "", sizeof e->code);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
}

static const int exit_of[] = {
	[MBX_ERR_NONE] = MBX_EXIT_OK, [MBX_ERR_RECORD] = MBX_EXIT_PARTIAL,
	[MBX_ERR_NOTFOUND] = MBX_EXIT_PARTIAL, [MBX_ERR_USAGE] = MBX_EXIT_USAGE,
	[MBX_ERR_AUTH] = MBX_EXIT_AUTH, [MBX_ERR_SERVICE] = MBX_EXIT_SERVICE,
	[MBX_ERR_INPUT] = MBX_EXIT_BADINPUT, [MBX_ERR_IO] = MBX_EXIT_IO,
	[MBX_ERR_INTERNAL] = MBX_EXIT_SOFTWARE
};

int
mbx_exit_of(enum mbx_err_kind kind)
{
	return (unsigned)kind < sizeof exit_of / sizeof exit_of[0] ? exit_of[kind]
		: MBX_EXIT_SOFTWARE;
}

enum mbx_err_kind
mbx_err_kind_of(int exitcode)
{
	enum mbx_err_kind k;

	for (k = MBX_ERR_NONE; k <= MBX_ERR_INTERNAL; k++)
		if (exit_of[k] == exitcode)
			return k;       /* 1 is RECORD: the first kind of that status */
	return MBX_ERR_INTERNAL;
}

static int
accepted(const char *const *types, const char *t)
{
	for (; t && *types; types++)
		if (strcmp(*types, t) == 0)
			return 1;
	return 0;
}

/* Records may be large (NDJSON items with inline data): the line cap is generous. */
#define RECORD_MAX_LINE ((size_t)256 << 20)

int
mbx_records_run(const char *const *types, mbx_record_cb cb, void *ctx)
{
	struct mbx_reader r;
	char err[512];
	yajl_val rec;
	int rc, worst = MBX_EXIT_OK;
	const char *t;

	mbx_reader_init(&r, stdin, "stdin", RECORD_MAX_LINE);
	while (worst == MBX_EXIT_OK || worst == MBX_EXIT_PARTIAL) {
		rc = mbx_reader_next(&r, &rec, err, sizeof err);
		if (rc == 0)
			break;
		if (rc < 0) {
			mbx_record_error(NULL, NULL, "BadRecord", "%s", err);
			worst = mbx_exit_worst(worst, MBX_EXIT_PARTIAL);
			continue;
		}
		t = mbx_record_type(rec);
		if (t && strcmp(t, "error") == 0) {
			mbx_record_write(rec);       /* travels down the pipe (mbx(7)) */
			worst = mbx_exit_worst(worst, MBX_EXIT_PARTIAL);
		} else if (!accepted(types, t)) {
			mbx_record_error(mbx_json_str(rec, "mailbox"), NULL, "BadRecord",
					 "stdin:%lu: unexpected record type '%s'", r.lineno,
					 t ? t : "(none)");
			worst = mbx_exit_worst(worst, MBX_EXIT_PARTIAL);
		} else {
			worst = mbx_exit_worst(worst, cb(ctx, rec, t, r.lineno));
		}
		yajl_tree_free(rec);
	}
	mbx_reader_free(&r);
	return worst;
}

void
mbx_report(int rc, const char *mailbox, const char *subject, const char *code,
	   const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (rc == MBX_EXIT_PARTIAL)
		mbx_record_error(mailbox, subject, code, "%s", msg);
	else
		mbx_err("%s", msg);
}

/* Nothing left in stdio's buffer (glibc's own fields, as gnulib's freadahead reads them)
 * and nothing on the descriptor. A read that blocks stops the engine too: with an
 * upstream mbx-ls still listing, the calls of the mailboxes already read would sit
 * finished and unreplaced. */
int
mbx_input_waits(FILE *in)
{
#ifdef __GLIBC__
	struct pollfd p = { fileno(in), POLLIN, 0 };

	return in->_IO_read_ptr >= in->_IO_read_end && poll(&p, 1, 0) == 0;
#else
	(void)in;
	return 0;                   /* unknown buffer: read, as before */
#endif
}
