/* mbx-mime: frames <-> standard mail, offline (mbx-mime(1)). Frames (or NDJSON) of
 * exported items become mboxrd on stdout, a Maildir, or .eml files (MS-OXCMAIL 2.1.3,
 * lib/mime); --to-frames goes the other way. Output is mail: in the mbox mode a failed
 * item is a line on stderr; in the directory modes stdout carries a record per file
 * written and an error record per failure. Either way it is counted in --stats and the
 * exit status is 1, and every other item is converted. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "mime.h"

static const char usage[] =
	"mbx-mime [options] [--mbox | --maildir DIR | --eml DIR] [FILE...]\n"
	"       mbx-mime [options] --to-frames [--ndjson] [--labels folders|categories|none]\n"
	"       [--files-from FILE | FILE...]";

enum mode { M_MBOX, M_MAILDIR, M_EML, M_TO_FRAMES };
enum { OPT_MBOX = MBX_OPT_FIRST_LOCAL, OPT_MAILDIR, OPT_EML, OPT_TO_FRAMES, OPT_NDJSON,
       OPT_LABELS, OPT_FILES_FROM };
/* The command line (mbx(7) COMMON OPTIONS; --help prints this table). */
static const struct mbx_optdef optdefs[] = {
	{ "mbox", 0, 0, NULL, "frames to mboxrd on stdout (the default)", OPT_MBOX },
	{ "maildir", 0, 1, "DIR", "frames to messages in the Maildir DIR", OPT_MAILDIR },
	{ "eml", 0, 1, "DIR", "frames to one .eml file per message in DIR", OPT_EML },
	{ "to-frames", 0, 0, NULL, "mail (mbox, Maildir, .eml) to frames", OPT_TO_FRAMES },
	{ "ndjson", 0, 0, NULL, "with --to-frames: write the NDJSON form", OPT_NDJSON },
	{ "labels", 0, 1, "WHAT",
	  "with --to-frames: Gmail labels as folders, categories or none", OPT_LABELS },
	{ "files-from", 0, 1, "FILE",
	  "with --to-frames: read the names of the inputs from FILE", OPT_FILES_FROM },
	{ NULL, 0, 0, NULL, NULL, 0 }
};
static const struct mbx_optset cmdline = { usage, optdefs, MBX_COMMON_LOG | MBX_COMMON_STATS };

static enum mode mode = M_MBOX;
static int mode_set, ndjson;
static const char *dir;
static struct mime_box box;
static struct {
	unsigned long frames, items, mail, other, errors, upstream, damaged, lossy;
	unsigned long long bytes_in;
	int worst;
	double start;
} st;

/* ------------------------------------------------------------------ reporting */

static int
records(void)
{
	return mode == M_MAILDIR || mode == M_EML;
}

/* "stdin: frame 3 at byte 1234 ('AAMk...')": as mbx-frames names a frame. */
static void
where(const struct mbx_frame *fr, const char *name, char *out, size_t n)
{
	const char *id = fr->hdr ? mbx_json_str(fr->hdr, "id") : NULL;

	snprintf(out, n, "%s: frame %lu at byte %llu%s%s%s", name, fr->index, fr->offset,
		 id ? " ('" : "", id ? id : "", id ? "')" : "");
}

/* One item failed: an error record in the directory modes (with the stderr line),
 * else the stderr line; counted, exit 1. */
static void
item_error(const struct mbx_frame *fr, const char *name, const char *code, const char *what)
{
	char w[512];

	where(fr, name, w, sizeof w);
	st.errors++;
	st.worst = mbx_exit_worst(st.worst, MBX_EXIT_PARTIAL);
	if (records())
		mbx_record_error(fr->hdr ? mbx_json_str(fr->hdr, "mailbox") : NULL,
				 fr->hdr ? mbx_json_str(fr->hdr, "id") : NULL, code, "%s: %s", w,
				 what);
	else
		mbx_err("%s: %s", w, what);
}

/* An error frame from upstream: passed on as a record, or told on stderr. */
static void
upstream(const struct mbx_frame *fr, const char *name)
{
	const char *msg = mbx_json_str(fr->hdr, "message"), *subj = mbx_json_str(fr->hdr, "subject");
	char w[512];

	st.upstream++;
	st.worst = mbx_exit_worst(st.worst, MBX_EXIT_PARTIAL);
	if (records()) {
		mbx_record_write(fr->hdr);
		return;
	}
	where(fr, name, w, sizeof w);
	mbx_err("%s: error from %s: %s%s%s%s", w,
		mbx_json_str(fr->hdr, "program") ? mbx_json_str(fr->hdr, "program") : "upstream",
		subj ? "'" : "", subj ? subj : "", subj ? "': " : "", msg ? msg : "(no message)");
}

/* ------------------------------------------------------------------ converting */

static void
after(const struct mbx_frame *fr, const char *name, const struct mime_result *r)
{
	char w[512];

	where(fr, name, w, sizeof w);
	if (r->mail) {
		st.mail++;
	} else {
		st.other++;
		mbx_debug("warning: %s: %s is not mail: written as a message with what maps "
			  "(X-Mbx-Class)", w, r->cls);
	}
	st.lossy += r->lossy > 0;
	if (r->damaged) {
		st.damaged++;
		item_error(fr, name, "Damaged", r->problem);
	} else if (r->lossy) {
		mbx_warn("%s: %s", w, r->problem);
	}
}

static void
convert(struct mbx_frame *fr, const char *name)
{
	struct mime_meta m;
	struct mime_result r;
	struct fx_item it;
	char err[600], path[4096], what[400];

	memset(&m, 0, sizeof m);
	m.mailbox = mbx_json_str(fr->hdr, "mailbox");
	m.id = mbx_json_str(fr->hdr, "id");
	m.folder_path = mbx_json_str(fr->hdr, "folderPath");
	m.created = mbx_json_str(fr->hdr, "createdDateTime");
	m.sha256 = mbx_json_str(fr->hdr, "sha256");
	st.items++;
	st.bytes_in += fr->payload.len;
	if (fx_parse_take(&it, &fr->payload) != FX_OK) {
		snprintf(what, sizeof what, "not a FastTransfer stream: %s", it.error);
		item_error(fr, name, "BadItem", what);
		fx_item_free(&it);
		return;
	}
	if (mime_box_put(&box, &it, &m, &r, path, sizeof path, err, sizeof err) < 0)
		mbx_die(MBX_EXIT_IO, "%s", err);
	if (records())
		mbx_mail_emit(fr->hdr, r.cls, path);
	after(fr, name, &r);
	fx_item_free(&it);
}

static void
handle(struct mbx_frame *fr, const char *name)
{
	if (fr->has_payload) {
		convert(fr, name);
	} else if (fr->type && strcmp(fr->type, "error") == 0) {
		upstream(fr, name);
	} else if (fr->type && strcmp(fr->type, "item") == 0 && !mbx_json_bool(fr->hdr, "removed")) {
		item_error(fr, name, "NoPayload", "item frame without a payload (no size or data)");
	} else if (records()) {
		mbx_record_write(fr->hdr);     /* folder records, removals: passed on */
	}
}

static void
read_stream(FILE *f, const char *name)
{
	struct mbx_frame_reader rd;
	struct mbx_frame fr;
	char err[1024];
	int rc;

	mbx_frame_reader_init(&rd, f, name, 0);
	while ((rc = mbx_frame_read(&rd, &fr, err, sizeof err)) != 0) {
		st.frames++;
		if (rc == MBX_FRAME_BAD) {
			st.errors++;
			st.worst = mbx_exit_worst(st.worst, MBX_EXIT_PARTIAL);
			if (records())
				mbx_record_error(fr.hdr ? mbx_json_str(fr.hdr, "mailbox") : NULL,
						 fr.hdr ? mbx_json_str(fr.hdr, "id") : NULL, "BadFrame",
						 "%s", err);
			else
				mbx_err("%s", err);
		} else if (rc == MBX_FRAME_BROKEN) {
			st.errors++;
			st.worst = mbx_exit_worst(st.worst, MBX_EXIT_BADINPUT);
			mbx_err("%s", err);
		} else {
			handle(&fr, name);
		}
		mbx_frame_clear(&fr);
	}
	mbx_frame_reader_free(&rd);
}

/* ------------------------------------------------------------------ --stats */

/* --stats FILE: {"type":"stats","program":...} with the mode's counts, then elapsed. */
static void
stats_file(void (*fields)(struct mbx_jw *w))
{
	struct mbx_buf b;
	struct mbx_jw w;
	FILE *f;
	char el[32];
	int ok;

	if (!mbx_opt.stats)
		return;
	mbx_buf_init(&b, 0);
	mbx_jw_init(&w, &b);
	mbx_jw_obj(&w);
	mbx_jw_kstr(&w, "type", "stats");
	mbx_jw_kstr(&w, "program", mbx_progname);
	fields(&w);
	snprintf(el, sizeof el, "%.3f", mbx_mono() - st.start);
	mbx_jw_key(&w, "elapsed");
	mbx_jw_raw(&w, el);
	mbx_jw_end(&w);
	f = fopen(mbx_opt.stats, "w");
	ok = f && !w.err && fprintf(f, "%s\n", b.data) >= 0;
	if (f && fclose(f) != 0)
		ok = 0;
	if (!ok)
		mbx_err("cannot write stats '%s'", mbx_opt.stats);
	mbx_buf_free(&b);
}

static void
mail_stats(struct mbx_jw *w)
{
	mbx_jw_kint(w, "frames", (long long)st.frames);
	mbx_jw_kint(w, "items", (long long)st.items);
	mbx_jw_kint(w, "mail", (long long)st.mail);
	mbx_jw_kint(w, "otherClasses", (long long)st.other);
	mbx_jw_kint(w, "damaged", (long long)st.damaged);
	mbx_jw_kint(w, "lossy", (long long)st.lossy);
	mbx_jw_kint(w, "errors", (long long)st.errors);
	mbx_jw_kint(w, "upstreamErrors", (long long)st.upstream);
	mbx_jw_kint(w, "bytesIn", (long long)st.bytes_in);
	mbx_jw_kint(w, "bytesOut", (long long)box.sink.bytes);
}

/* ---- MIME -> frames (mimein): --to-frames */

static struct mime_in in;
static const char *files_from;
static int labels_set;

static void
set_labels(const char *arg)
{
	static const char *const names[] = { "folders", "categories", "none" };
	int i;

	for (i = 0; i < 3 && strcmp(arg, names[i]) != 0; i++)
		;
	if (i == 3)
		mbx_die(MBX_EXIT_USAGE, "invalid --labels '%s': expected folders, categories or none",
			arg);
	in.labels = i;
	labels_set = 1;
}

/* --files-from: one name per line (a file, an mbox, a Maildir), as find(1) prints them. */
static void
names_from(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		mbx_die(MBX_EXIT_IO, "cannot open '%s': %s", path, strerror(errno));
	while ((n = getline(&line, &cap, f)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n > 0)
			mime_in_path(&in, line);
	}
	if (ferror(f))
		mbx_die(MBX_EXIT_IO, "cannot read '%s': %s", path, strerror(errno));
	free(line);
	if (f != stdin)
		fclose(f);
}

static void
to_frames_stats(struct mbx_jw *w)
{
	mbx_jw_kint(w, "messages", (long long)in.messages);
	mbx_jw_kint(w, "items", (long long)in.items);
	mbx_jw_kint(w, "errors", (long long)in.errors);
	mbx_jw_kint(w, "withDefects", (long long)in.defective);
	mbx_jw_kint(w, "bytesIn", (long long)in.bytes_in);
	mbx_jw_kint(w, "bytesOut", (long long)in.bytes_out);
	mbx_jw_kint(w, "records", (long long)mbx_records_out);
}

/* Messages in = item frames + error records; exit 1 when there is an error record. */
static int
to_frames(int argc, char **argv)
{
	int i;

	in.out = stdout;
	if (files_from)
		names_from(files_from);
	else if (optind == argc)
		mime_in_path(&in, "-");
	for (i = optind; i < argc; i++)
		mime_in_path(&in, argv[i]);
	if (fflush(stdout) == EOF || ferror(stdout))
		mbx_die(MBX_EXIT_IO, "cannot write to stdout");
	mbx_debug("%lu messages: %lu items, %lu errors", in.messages, in.items, in.errors);
	stats_file(to_frames_stats);
	return in.worst;
}

/* -------------------------------------------------------------------- main */

static void
set_mode(enum mode m, const char *arg)
{
	if (mode_set)
		mbx_die(MBX_EXIT_USAGE, "give one of --mbox, --maildir, --eml, --to-frames");
	mode = m;
	mode_set = 1;
	dir = arg;
}

static void
parse_options(int argc, char **argv)
{
	int c;

	while ((c = mbx_opts_next(&cmdline, argc, argv)) != -1) {
		if (c == OPT_MBOX)
			set_mode(M_MBOX, NULL);
		else if (c == OPT_MAILDIR)
			set_mode(M_MAILDIR, optarg);
		else if (c == OPT_EML)
			set_mode(M_EML, optarg);
		else if (c == OPT_TO_FRAMES)
			set_mode(M_TO_FRAMES, NULL);
		else if (c == OPT_NDJSON)
			ndjson = 1;
		else if (c == OPT_LABELS)
			set_labels(optarg);
		else if (c == OPT_FILES_FROM)
			files_from = optarg;
	}
	if ((ndjson || labels_set || files_from) && mode != M_TO_FRAMES)
		mbx_die(MBX_EXIT_USAGE, "--ndjson, --labels and --files-from go with --to-frames");
	if (files_from && optind < argc)
		mbx_die(MBX_EXIT_USAGE, "--files-from and FILE arguments exclude each other");
}

int
main(int argc, char **argv)
{
	char err[600];

	mbx_log_init(argv[0]);
	mbx_opts_init();
	mime_in_init(&in, stdout);
	parse_options(argc, argv);
	st.start = mbx_mono();
	in.ndjson = ndjson;
	if (mode == M_TO_FRAMES)
		return to_frames(argc, argv);
	if (mime_box_open(&box, mode == M_MAILDIR ? MIME_MAILDIR : mode == M_EML ? MIME_EML :
			  MIME_MBOX, dir, stdout, err, sizeof err) < 0)
		mbx_die(MBX_EXIT_IO, "%s", err);
	st.worst = mbx_exit_worst(st.worst, mbx_frame_files(argc - optind, argv + optind,
							    read_stream));
	if (mime_box_close(&box, err, sizeof err) < 0)
		mbx_die(MBX_EXIT_IO, "%s", err);
	if (fflush(stdout) == EOF || ferror(stdout))
		mbx_die(MBX_EXIT_IO, "cannot write to stdout");
	stats_file(mail_stats);
	return st.worst;
}
