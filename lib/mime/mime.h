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

/* --annotate (mbx-frames(1)): the item's summary as members of the object being
 * written: subject, from, to, cc, bcc, sentDateTime, receivedDateTime, hasAttachments,
 * attachments (names), itemSize. */
void mime_summary(struct mbx_jw *w, const struct fx_item *it);
/* Whether key is one of the summary's members (so an old one is replaced). */
int mime_summary_key(const char *key);

/* ---- MIME -> MAPI (mimein) */

#endif
