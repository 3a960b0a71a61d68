/* mime.h: MAPI <-> MIME (lib/mime): code pages and charsets, the MIME encodings
 * (RFC 2045 base64 and quoted-printable, RFC 2047 words, RFC 2231 parameters), compressed
 * RTF (MS-OXRTFCP) and RTF de-encapsulation (MS-OXRTFEX), the MAPI -> MIME writer of
 * MS-OXCMAIL 2.1.3 with its mbox, Maildir and .eml containers, and the item summary of
 * mbx-frames --annotate. Depends on the base layer and the FastTransfer codec only. */
#ifndef MIME_H
#define MIME_H

#include "fx.h"

/* ------------------------------------------------------------- charset.c */

/* Windows code pages (PidTagInternetCodepage, RTF \ansicpgN) and MIME charset names.
 * Decoding is glibc's iconv (part of libc), with the common single-byte pages and UTF-8
 * done here; see docs/mime.md. */

/* The preferred MIME name of code page cp ("iso-2022-jp" for 50220), or NULL. */
const char *mime_cp_name(unsigned cp);
/* The code page of a charset name or alias, ASCII case-insensitive ("Shift_JIS",
 * "ks_c_5601-1987", "utf8"...), or 0 when unknown. */
unsigned mime_cp_from_name(const char *name);
/* Whether bytes in code page cp can be decoded (table entry and iconv converter). */
int mime_cp_known(unsigned cp);
/* Append n bytes of code page cp to out as UTF-8 (no BOM). A byte sequence that is not
 * valid in cp becomes U+FFFD and is counted in *bad (may be NULL). 0, or -1: an unknown
 * code page (nothing appended) or out's cap (err says which). */
int mime_decode_cp(struct mbx_buf *out, unsigned cp, const void *in, size_t n, size_t *bad,
		   char *err, size_t errlen);
/* The same, by charset name (mime_cp_from_name). */
int mime_decode_charset(struct mbx_buf *out, const char *charset, const void *in, size_t n,
			size_t *bad, char *err, size_t errlen);
/* UTF-8 checks and repair: the length of the valid prefix; append with every invalid
 * sequence replaced by U+FFFD (returns the number replaced). */
size_t mime_utf8_valid_len(const void *p, size_t n);
size_t mime_utf8_repair(struct mbx_buf *out, const void *p, size_t n);
/* Windows font charset (RTF \fcharsetN) -> code page, 0 when none (symbol fonts). */
unsigned mime_fcharset_cp(int fcharset);

/* ------------------------------------------------------------------ sink.c */

/* Where the writer's bytes go: a buffered FILE with the transformations of its
 * container. The writer writes lines ending in LF only; crlf turns them into CRLF (.eml);
 * mboxrd quotes every line that matches ">*From " with one more '>' (mboxrd). */
struct mime_sink {
	FILE *f;
	int crlf, mboxrd;
	int bol;                   /* at the beginning of a line */
	int nquote, nfrom;         /* mboxrd: '>' seen at the line start, "From " matched */
	int err;                   /* sticky: a write failed (errno in saved_errno) */
	int saved_errno;
	unsigned long long bytes;  /* written to f */
	size_t len;
	unsigned char buf[1 << 16];
};
void mime_sink_init(struct mime_sink *s, FILE *f, int crlf, int mboxrd);
void mime_sink_put(struct mime_sink *s, const void *p, size_t n);
void mime_sink_puts(struct mime_sink *s, const char *str);
/* Bytes as they are, without quoting (the mbox From_ line). */
void mime_sink_raw(struct mime_sink *s, const void *p, size_t n);
/* Flush to f: 0, or -1 (s->err). */
int mime_sink_flush(struct mime_sink *s);

/* ------------------------------------------------------------------- enc.c */

/* base64 body lines (RFC 2045 6.8: 76 characters), written as the data is walked. */
void mime_b64_body(struct mime_sink *s, const void *p, size_t n);
/* Quoted-printable (RFC 2045 6.7) of text whose line ends are LF, CRLF or CR: every
 * kind becomes a hard line break (LF to the sink). */
void mime_qp_body(struct mime_sink *s, const char *p, size_t n);
/* Text as it is (7bit/8bit) with every line end made LF. */
void mime_text_body(struct mime_sink *s, const char *p, size_t n);
/* The Content-Transfer-Encoding for text: "7bit" (ASCII, lines <= 998, no NUL or bare
 * CR), "8bit" (the same with valid UTF-8; only if allow8) or "quoted-printable". */
const char *mime_text_cte(const char *p, size_t n, int allow8);

/* Header fields, folded at 78 columns (RFC 5322 2.2.3), each ending in LF.
 * Unstructured text: RFC 2047 encoded words (UTF-8, B or Q) where it is not ASCII. */
void mime_hdr_text(struct mbx_buf *out, const char *name, const char *value);
/* An address list: (name, address) pairs; a name is quoted (RFC 5322 3.2.4) or made
 * encoded words; an address that is not a valid addr-spec must have been made one by
 * the caller (mime_addr_spec). */
struct mime_addr {
	const char *name, *addr;
};
void mime_hdr_addrs(struct mbx_buf *out, const char *name, const struct mime_addr *a,
		    size_t n);
/* A field as it is, refolded only where a line would pass 998 octets. */
void mime_hdr_raw(struct mbx_buf *out, const char *name, const char *value);
/* Content-Type / Content-Disposition: the value, then ;-parameters. A parameter value
 * is a token, a quoted string, or RFC 2231 (utf-8''%XX, continued *0* *1* when long). */
struct mime_param {
	const char *name, *value;
};
void mime_hdr_params(struct mbx_buf *out, const char *name, const char *value,
		     const struct mime_param *p, size_t n);
/* addr as an addr-spec: itself when valid (local@domain, RFC 5322 3.4.1); otherwise
 * its IMCEA encapsulation "IMCEA<type>-<addr, +XX escaped>@invalid" (never fabricated
 * into a deliverable address: RFC 2606 reserves .invalid). malloc'd. */
char *mime_addr_spec(const char *addr, const char *type);
/* Whether s is one msg-id (RFC 5322 3.6.4), angle brackets included. */
int mime_msgid_ok(const char *s);
/* Unix seconds as an RFC 5322 3.3 date in UTC ("Tue, 02 Jan 2024 03:04:05 +0000"). */
void mime_date(long long t, char *out, size_t n);
/* FILETIME (100 ns since 1601) -> Unix seconds. */
long long mime_filetime_unix(uint64_t ft);

/* ------------------------------------------------------------------ lzfu.c */

/* Compressed RTF (PidTagRtfCompressed, MS-OXRTFCP 2.1.3.1): LZFu or MELA (uncompressed)
 * into out. A CRC that does not match (2.1.3.2), a size that does not match, a
 * reference or literal past the declared raw size, data after or missing before the end
 * marker are refused: -1 with err. 0 on success. */
int mime_lzfu_decompress(struct mbx_buf *out, const void *in, size_t n, char *err,
			 size_t errlen);
/* The CRC of MS-OXRTFCP 2.1.3.2 over p. */
uint32_t mime_lzfu_crc(const void *p, size_t n);

/* ------------------------------------------------------------------- rtf.c */

/* RTF -> UTF-8: the HTML of \fromhtml (MS-OXRTFEX 2.2.3.2), the text of \fromtext
 * (2.2.3.3), or for RTF that encapsulates nothing the text stripped of its markup.
 * 0 with *kind set, or -1 with err (not RTF, nesting too deep, out's cap). */
enum { MIME_RTF_NONE = 0, MIME_RTF_HTML = 1, MIME_RTF_TEXT = 2 };
int mime_rtf_decode(struct mbx_buf *out, const void *rtf, size_t n, int *kind, char *err,
		    size_t errlen);

/* ------------------------------------------------------------------ html.c */

/* The text of an HTML document (no head, style or script; entities decoded; block
 * ends as line breaks), UTF-8 in and out. */
void mime_html_text(struct mbx_buf *out, const char *html, size_t n);
/* A copy of html with the charset of its META tags (charset=, http-equiv
 * Content-Type) made utf-8. */
void mime_html_utf8_meta(struct mbx_buf *out, const char *html, size_t n);
/* Whether html refers to "cid:<id>" (RFC 2392; %XX decoded, case-insensitive scheme)
 * or, when loc is not NULL, to that Content-Location URL. */
int mime_html_refers(const char *html, size_t n, const char *cid, const char *loc);

/* ----------------------------------------------------------------- write.c */

/* What the frame header knows of an item (mbx(7) records), for the X-Mbx-* fields. */
struct mime_meta {
	const char *mailbox, *id, *folder_path, *created;   /* any may be NULL */
	const char *sha256;        /* of the payload, when the frame has it */
	int mbox;                  /* add Status and X-Status (the flags of mbox readers) */
};
/* What writing one item found. */
struct mime_result {
	int mail;                  /* 1: a mail class (IPM.Note*, REPORT.*) */
	char cls[64];              /* the message class, cut */
	long long date;            /* Unix seconds of Date (0 when none) */
	long long delivered;       /* of PidTagMessageDeliveryTime, else date */
	char envelope[320];        /* the sender's SMTP address, or "MAILER-DAEMON" */
	char flags[8];             /* Maildir flags (F P R S, in ASCII order) */
	unsigned long damaged;     /* parts that could not be decoded (kept raw, attached) */
	unsigned long lossy;       /* parts decoded with replacement characters (the
				    * original kept too, attached) */
	char problem[512];         /* the first of either */
};
/* Write the item as one RFC 5322 message (MS-OXCMAIL 2.1.3) to s; r says what it was.
 * Returns 0, or -1 when s failed. */
int mime_write(struct mime_sink *s, const struct fx_item *it, const struct mime_meta *m,
	       struct mime_result *r);
/* What mime_write will find of the item's class, dates, envelope and flags, without
 * writing it (the mbox From_ line comes before the message). */
void mime_describe(const struct fx_item *it, const struct mime_meta *m,
		   struct mime_result *r);

/* ------------------------------------------------------------------- box.c */

/* The containers: mboxrd on a FILE (the From_ line: the envelope sender and the UTC
 * delivery time), a Maildir (tmp/ then cur/NAME:2,FLAGS, mtime the delivery time), or
 * one .eml file per item (CRLF line ends) in a directory, named
 * YYYYMMDD-HHMMSS-subject-HASH.eml: ASCII letters, digits, '-' and '.', the same in
 * every run (HASH from the item's mailbox and id). */
enum { MIME_MBOX, MIME_MAILDIR, MIME_EML };
struct mime_box {
	int kind;
	const char *dir;
	int dirfd;
	FILE *f;                   /* mbox: the output */
	struct mime_sink sink;
};
/* 0, or -1 with err (a directory that cannot be made or opened). */
int mime_box_open(struct mime_box *b, int kind, const char *dir, FILE *mbox, char *err,
		  size_t n);
/* Write one item; path gets the file written (Maildir, .eml; "" for mbox). 0, or -1
 * with err: an I/O failure (the output cannot be trusted any more). */
int mime_box_put(struct mime_box *b, const struct fx_item *it, const struct mime_meta *m,
		 struct mime_result *r, char *path, size_t pathlen, char *err, size_t n);
/* Flush and close: 0, or -1 with err. */
int mime_box_close(struct mime_box *b, char *err, size_t n);

/* --------------------------------------------------------------- summary.c */

/* How much of a summary is written. A summary goes into a frame's header, which holds
 * 1 MiB (mbx-frames(5)): when the whole one would not fit (tens of thousands of
 * recipients), its strings and lists are cut and "summaryCut" is true. The payload is
 * whole either way. mime_cuts[0] is the whole summary, each next one shorter. */
struct mime_cut {
	size_t str;                /* bytes of UTF-8 per string, cut between characters */
	size_t list;               /* entries per list */
};
#define MIME_NCUTS 3
extern const struct mime_cut mime_cuts[MIME_NCUTS];
/* s (NULL writes null), at most cut->str bytes of it. */
void mime_jw_cut(struct mbx_jw *w, const char *s, const struct mime_cut *cut);
/* "summaryCut": true, when cut is not the whole summary. */
void mime_jw_cut_flag(struct mbx_jw *w, const struct mime_cut *cut);

/* --annotate (mbx-frames(1)): the item's summary as members of the object being
 * written: subject, from, to, cc, bcc, sentDateTime, receivedDateTime, hasAttachments,
 * attachments (names), itemSize, and summaryCut when cut. */
void mime_summary(struct mbx_jw *w, const struct fx_item *it, const struct mime_cut *cut);
/* Whether key is one of the summary's members (so an old one is replaced). */
int mime_summary_key(const char *key);
/* A copy of a frame header with the summary of its payload in it (old summary members
 * replaced), or NULL with err when the payload does not parse. */
yajl_val mime_annotate(yajl_val hdr, const void *payload, size_t n, char *err,
		       size_t errlen);

/* ---- MIME -> MAPI (mimein) */

/* ---------------------------------------------------------------- src.c */

/* A message's bytes: in memory, or in a file read piece by piece (a large message, an
 * .eml or Maildir file), so that a 50 MB attachment is never held whole. */
struct mime_src {
	const unsigned char *mem;  /* the bytes when in memory, else NULL */
	int fd;                    /* else: read from this file with pread */
	unsigned long long base;   /* the file offset of byte 0 */
	size_t len;
};
/* Lines of a byte range of a source, each with its line end (LF, CRLF, or a lone CR as
 * RFC 5322 readers accept), at most MIME_LINE_MAX bytes: a longer line comes in pieces,
 * the first with *bol set. File sources are read through a window of 256 KiB. */
#define MIME_LINE_MAX ((size_t)64 << 10)
struct mime_cur {
	const struct mime_src *src;
	size_t pos, end;
	unsigned char *win;        /* file sources: the window */
	size_t wpos, wlen;         /* source offset of win[0], bytes in it */
	int bol;                   /* pos is at the start of a line */
	int err;                   /* errno of a failed read, else 0 */
};
void mime_cur_init(struct mime_cur *c, const struct mime_src *s, size_t from, size_t to);
void mime_cur_free(struct mime_cur *c);
/* 1: a line at source offset *off (its bytes *p, *n; *bol: it starts a line); 0: the end
 * of the range; -1: a read error (c->err). */
int mime_cur_line(struct mime_cur *c, const unsigned char **p, size_t *n, size_t *off,
		  int *bol);
/* Up to max bytes at the cursor: 1 with *p, *n (n >= 1); 0 at the end; -1 read error. */
int mime_cur_bytes(struct mime_cur *c, size_t max, const unsigned char **p, size_t *n);

/* -------------------------------------------------------------- parse.c */

/* The tolerant MIME parser (RFC 5322 2-3, RFC 2045 5-6, RFC 2046 5): any line end,
 * missing or wrong boundaries, header lines without a colon, 8-bit headers. The parts
 * are byte ranges of the source: a body is decoded when it is read (decode.c). */
#define MIME_MAX_PARTS 10000       /* parts of one message */
#define MIME_MAX_DEPTH 30          /* multipart and message/rfc822 nesting */
#define MIME_HDR_MAX ((size_t)1 << 20)   /* one header block */
enum { MIME_CTE_IDENTITY, MIME_CTE_QP, MIME_CTE_BASE64, MIME_CTE_UUENCODE };
/* Defects found and tolerated: the message is converted, and its record names them. */
enum {
	MIME_D_NO_BOUNDARY = 1 << 0,     /* a multipart without a boundary: read as text */
	MIME_D_START_BOUNDARY = 1 << 1,  /* its boundary never occurs: read as text */
	MIME_D_CLOSE_BOUNDARY = 1 << 2,  /* no close delimiter: the last part runs to the end */
	MIME_D_SEPARATOR = 1 << 3,       /* a header line without a colon began the body */
	MIME_D_8BIT_HEADER = 1 << 4,     /* header bytes not UTF-8: read as windows-1252 */
	MIME_D_CHARSET = 1 << 5,         /* an unknown charset: bytes kept as they are */
	MIME_D_BASE64 = 1 << 6,          /* characters outside base64, or a cut quantum */
	MIME_D_DEPTH = 1 << 7,           /* nested too deep: the rest kept as an attachment */
	MIME_D_CTE = 1 << 8,             /* an unknown Content-Transfer-Encoding: read as is */
	MIME_D_NUL = 1 << 9,             /* NUL characters in text, made U+FFFD */
	MIME_D_QP = 1 << 10,             /* a bad quoted-printable escape, kept as it is */
	MIME_D_UUENCODE = 1 << 11,       /* no "begin" line, or a bad uuencode line */
	MIME_D_ADDRESSES = 1 << 12,      /* a field of more than MIME_ADDRS_MAX addresses */
	MIME_D_NBITS = 13
};
/* The names of the defect bits, for records ("closeBoundaryMissing"...). */
const char *mime_defect_name(int bit);
struct mime_field {        /* a header field: offsets into its part's hdr */
	size_t name, nlen, val, vlen;
};
struct mime_part {
	struct mime_part *parent, *child, *next;   /* parts of a multipart; the message of
						     * a message/rfc822 */
	char *hdr;                 /* the header block as it is (without the blank line) */
	size_t hdrlen;
	struct mime_field *f;
	size_t nf;
	size_t start, body, end;   /* source offsets: the part, its body, the end */
	char type[128];            /* "text/plain", lowercased; the default when absent */
	struct mime_param *params; /* Content-Type parameters, decoded to UTF-8 */
	size_t nparams;
	char disp[32];             /* Content-Disposition, lowercased; "" when none */
	struct mime_param *dparams;
	size_t ndparams;
	int cte;                   /* MIME_CTE_* */
	unsigned defects;          /* this part's */
	int depth;                 /* 0: the message itself */
};
struct mime_msg {
	const struct mime_src *src;
	struct mime_part *root;
	size_t nparts;
	unsigned defects;          /* of all parts */
	int open_at_end;           /* a multipart still open when the source ended */
};
/* Parse the message in src (which must outlive m). 0, or -1 with err (a header block
 * over 1 MiB, too many parts, a read error): then the message cannot be converted. */
int mime_parse(struct mime_msg *m, const struct mime_src *src, char *err, size_t errlen);
void mime_msg_free(struct mime_msg *m);
/* The first field called name (ASCII case-insensitive): its value unfolded (RFC 5322
 * 2.2.3) and trimmed, malloc'd; NULL when absent. i counts on to later ones. */
char *mime_field(const struct mime_part *p, const char *name);
char *mime_field_at(const struct mime_part *p, const char *name, size_t *i);
const char *mime_param(const struct mime_param *p, size_t n, const char *name);
int mime_is(const struct mime_part *p, const char *type);   /* "multipart/" matches a prefix */
/* Whether a line begins with a field name and its colon (RFC 5322 2.2, 4.5.8). */
int mime_field_line(const void *p, size_t n);

/* ---------------------------------------------------------------- hdr.c */

/* "type/subtype; name=value; ..." (RFC 2045 5.1, RFC 2183 2): the value lowercased into
 * main; the parameters with RFC 2231 continuations joined and charsets decoded, quoted
 * strings unquoted, RFC 2047 words in values decoded (as mail readers do), all UTF-8.
 * 0, or -1 when there is no value. The names and values are malloc'd. */
int mime_params_parse(const char *v, char *main, size_t mainlen, struct mime_param **p,
		      size_t *n, unsigned *defects);
/* s (malloc'd, may be NULL) when it is UTF-8, else a copy with every invalid sequence
 * made U+FFFD (MIME_D_8BIT_HEADER), s freed: what goes into records and strings. */
char *mime_utf8_own(char *s, unsigned *defects);
/* Content-Transfer-Encoding (RFC 2045 6.1; x-uuencode as mail readers know it). */
int mime_cte(const char *v, unsigned *defects);
/* Unstructured text with its RFC 2047 encoded words decoded, as UTF-8; bytes that are
 * neither ASCII nor UTF-8 are read as windows-1252 (MIME_D_8BIT_HEADER). malloc'd. */
char *mime_words(const char *v, unsigned *defects);
/* Bytes in charset as UTF-8 appended to out: an unknown charset keeps them when they are
 * UTF-8, else reads them as windows-1252, and sets MIME_D_CHARSET. 0, or -1 (out's cap). */
int mime_to_utf8(struct mbx_buf *out, const char *charset, const void *p, size_t n,
		 unsigned *defects);
/* An address list (RFC 5322 3.4 and the obs- forms of 4.4): its mailboxes, groups
 * flattened, display names decoded. Returns how many (*out malloc'd, may be NULL). */
struct mime_mbox {
	char *name, *addr;         /* either NULL when there is none ("Name <>") */
};
size_t mime_addrs(const char *v, struct mime_mbox **out, unsigned *defects);
/* The most mailboxes read from one field; the rest set MIME_D_ADDRESSES (they stay in
 * the transport headers, not in the recipient table). */
#define MIME_ADDRS_MAX 10000
void mime_addrs_free(struct mime_mbox *a, size_t n);
/* A date and time (RFC 5322 3.3 with the obs- forms of 4.3; the asctime form of mbox
 * From_ lines too) as Unix seconds: 0, or -1 when it is not one. */
int mime_date_parse(const char *v, long long *out);
/* The msg-id of a Message-ID / In-Reply-To field (RFC 5322 3.6.4): the first "<...>" as
 * written, else the first word; NULL when empty. malloc'd. */
char *mime_msgid(const char *v);

/* -------------------------------------------------------------- decode.c */

/* A part's body decoded by its Content-Transfer-Encoding (RFC 2045 6.7, 6.8; uuencode)
 * as it is read, handed to put in pieces of at most 64 KiB: 0, or -1 (a read error, or
 * put refused). Defects found are added to *defects. */
int mime_body_read(const struct mime_msg *m, const struct mime_part *p, fx_put_fn put,
		   void *ctx, unsigned *defects);
/* The decoded body into out (at most out's cap): 0, or -1. */
int mime_body_buf(const struct mime_msg *m, const struct mime_part *p, struct mbx_buf *out,
		  unsigned *defects);
/* Its decoded length, read once to count: 0, or -1. */
int mime_body_len(const struct mime_msg *m, const struct mime_part *p, size_t *len,
		  unsigned *defects);

/* ----------------------------------------------------------------- map.c */

/* What the container knows of a message: the mbox From_ line, the Maildir file name
 * and time, Gmail's labels. */
struct mime_env {
	long long delivered;       /* the From_ line's date, the file's mtime; 0: unknown */
	int unread;                /* 1: the container says it was not read */
	int flagged;               /* 1: flagged (Maildir F, Gmail Starred) */
	const char *const *categories;   /* labels kept as categories (PidNameKeywords) */
	size_t ncategories;
};
/* A message mapped to MAPI properties (MS-OXCMAIL 2.2.3): m is for fx_layout; all it
 * points at is owned here, and attachment data is read from the source on demand. */
struct mime_mapi {
	struct fx_msg m;
	void **own;                /* every allocation, freed by mime_mapi_free */
	size_t nown, capown;
	unsigned defects;          /* what decoding the bodies and headers found */
	long long date;            /* of Date, 0 when none */
	const char *subject, *from, *message_id;   /* for the record; may be NULL */
	size_t nattach;            /* attachments, embedded messages counted once each */
};
#define MIME_BODY_MAX ((size_t)32 << 20)    /* a text body, decoded */
#define MIME_HOLD_MAX ((size_t)1 << 20)     /* attachments larger are read on demand */
/* Map msg. 0, or -1 with err (a body over MIME_BODY_MAX, a read error). */
int mime_to_mapi(struct mime_mapi *out, const struct mime_msg *msg, const struct mime_env *env,
		 char *err, size_t errlen);
void mime_mapi_free(struct mime_mapi *out);
/* Fields that are an mbox's bookkeeping (Status, X-Mozilla-Status, Content-Length...),
 * or that MS-OXCMAIL 2.2.3.2.28 does not copy (X-MS-Exchange-Organization-*). */
int mime_bookkeeping_field(const char *name, size_t n);
/* MS-OXCMAIL 2.2.3.2.6.1: the length of a subject's prefix ("RE: ", "AW:"), 0 if none. */
size_t mime_subject_prefix(const char *subject);

/* ---------------------------------------------------------------- mbox.c */

/* A message a reader found, for the converter. */
struct mime_item {
	struct mime_src src;
	const char *file;          /* the input's name */
	unsigned long long offset; /* where the message starts in it (its From_ line) */
	unsigned long index;       /* 1-based, in that input */
	const char *folder;        /* folderPath of its Maildir folder, or NULL */
	struct mime_env env;
	int truncated;             /* the input ended inside it, in the middle of a line */
	const char *error;         /* it could not be read: why (then src is empty) */
};
/* Called for each message: 0 to go on, else an exit code that stops the reader. */
typedef int (*mime_item_fn)(void *ctx, struct mime_item *it);
#define MIME_SPILL ((size_t)8 << 20)    /* a larger message waits in a temporary file */
/* An mbox from f: split at From_ lines (a "From " line counts only where it starts the
 * input, or has a date, or comes after an empty line and before a header field; see
 * mbx-mime(1)), the separating empty line dropped, mboxrd and mboxo quoting (">From ")
 * undone. Text before the first From_ line is a message too, so that one .eml on stdin
 * reads. Returns 0, fn's code, or MBX_EXIT_IO with err. */
int mime_mbox_read(FILE *f, const char *name, mime_item_fn fn, void *ctx, char *err,
		   size_t errlen);
/* One message in a file (.eml): its bytes from memory when small, else from the file. */
int mime_file_read(const char *path, const char *folder, const struct mime_env *env,
		   mime_item_fn fn, void *ctx);
/* A Maildir: every folder under dir (one with cur/ or new/), Maildir++ (".A.B" is
 * /A/B) or one directory per folder; the top one is /Inbox. Files in cur/ and new/ by
 * name; the flags of ":2," (S read, F flagged; new/ unread) and the mtime go to env. */
int mime_maildir_read(const char *dir, mime_item_fn fn, void *ctx, char *err, size_t errlen);
/* Whether the first line of p looks like an mbox From_ line. */
int mime_is_from_line(const void *p, size_t n);

/* ------------------------------------------------------------ toframes.c */

/* mbx-mime --to-frames: messages become item frames (mbx-frames(5)) whose header says
 * what a later stage needs; a message that cannot be converted becomes an error
 * record with its byte offset, and the rest goes on. */
enum { MIME_LABELS_FOLDERS, MIME_LABELS_CATEGORIES, MIME_LABELS_NONE };
#define MIME_ITEM_MAX ((size_t)150 << 20)  /* the service's item limit (graph-api.md 7) */
#define MIME_FRAME_HOLD ((size_t)16 << 20) /* larger blobs are written in two passes */
struct mime_in {
	FILE *out;
	int ndjson;                /* the NDJSON form (inline base64) */
	int labels;                /* what X-Gmail-Labels become (MIME_LABELS_*) */
	size_t hold;               /* MIME_FRAME_HOLD; lower only to test the other path */
	unsigned long messages, items, errors, defective;
	unsigned long long bytes_in, bytes_out;
	int worst;                 /* exit code so far */
};
void mime_in_init(struct mime_in *in, FILE *out);
/* One input: "-" for stdin, an mbox or .eml file, or a Maildir directory. */
void mime_in_path(struct mime_in *in, const char *path);
/* The converter as a reader's callback (ctx: the mime_in): a frame, or an error record
 * and the message on stderr. */
int mime_in_item(void *ctx, struct mime_item *it);
/* The same without the error record: 0 after the frame is written; -1 with the record's
 * code and message (nothing written). id gets the message's id (Message-ID or hash) as
 * far as it was known, "" else. Counts in in as mime_in_item does, but for errors. */
int mime_in_convert(struct mime_in *in, struct mime_item *it, const char **code, char *why,
		    size_t whylen, char *id, size_t idlen);

#endif
