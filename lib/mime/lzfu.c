/* lzfu.c: compressed RTF (PidTagRtfCompressed), MS-OXRTFCP. A 16-byte header (2.1.3.1.1:
 * COMPSIZE, RAWSIZE, COMPTYPE, CRC, little-endian), then for "LZFu" runs of a control
 * byte and eight tokens: a clear bit is one literal byte, a set bit a 2-byte big-endian
 * reference (2.1.3.1.5) of 12 bits of offset into a 4096-byte dictionary and 4 bits of
 * length - 2; a reference to the write position ends the data. The dictionary starts
 * with a fixed 207-byte RTF prefix (2.1.2.1). "MELA" is the uncompressed form. Every
 * inconsistency is refused: this is untrusted input, and a wrong body is worse than a
 * body kept raw. */
#include <stdlib.h>
#include <string.h>
#include "mime.h"

#define LZFU 0x75465A4Cu                  /* "LZFu" */
#define MELA 0x414C454Du                  /* "MELA" */
#define DICT 4096u
#define RAW_MAX ((size_t)256 << 20)       /* a frame's payload cap: no body is larger */

static const char prefix[] =
	"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss "
	"\\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier"
	"{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 2.1.3.2: CRC-32 (the reflected 0xEDB88320 polynomial), initial value 0, no final
 * inversion, over the bytes after the header. */
uint32_t
mime_lzfu_crc(const void *vp, size_t n)
{
	static uint32_t table[256];
	const unsigned char *p = vp;
	uint32_t crc = 0, c;
	size_t i;
	int k;

	if (!table[1])
		for (i = 0; i < 256; i++) {
			for (c = (uint32_t)i, k = 0; k < 8; k++)
				c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	for (i = 0; i < n; i++)
		crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
	return crc;
}

struct lz {
	unsigned char dict[DICT];
	unsigned pos;                 /* the write position in dict */
	struct mbx_buf *out;
	size_t raw;                   /* RAWSIZE: output may not pass it */
	size_t start;                 /* out->len before */
};

static int
emit(struct lz *z, unsigned char c, char *err, size_t errlen)
{
	if (z->out->len - z->start >= z->raw) {
		snprintf(err, errlen, "compressed RTF overruns its raw size of %zu bytes", z->raw);
		return -1;
	}
	if (mbx_buf_putc(z->out, (char)c) < 0) {
		snprintf(err, errlen, "decompressed RTF larger than %zu bytes", z->out->max);
		return -1;
	}
	z->dict[z->pos] = c;
	z->pos = (z->pos + 1) % DICT;
	return 0;
}

/* 2.1.3.1.5: one reference; 1 at the end marker, 0 copied, -1 refused. */
static int
reference(struct lz *z, unsigned tok, char *err, size_t errlen)
{
	unsigned off = tok >> 4, len = (tok & 15) + 2, i;

	if (off == z->pos)
		return 1;
	for (i = 0; i < len; i++)       /* byte by byte: a run may read what it writes */
		if (emit(z, z->dict[(off + i) % DICT], err, errlen) < 0)
			return -1;
	return 0;
}

/* The runs after the header (p, n); 0 at the end marker with all input used. */
static int
runs(struct lz *z, const unsigned char *p, size_t n, char *err, size_t errlen)
{
	size_t i = 0;
	int bit, r;

	while (i < n) {
		unsigned ctl = p[i++];
		for (bit = 0; bit < 8; bit++) {
			if (!(ctl >> bit & 1)) {
				if (i >= n)
					goto cut;
				if (emit(z, p[i++], err, errlen) < 0)
					return -1;
				continue;
			}
			if (i + 2 > n)
				goto cut;
			r = reference(z, (unsigned)p[i] << 8 | p[i + 1], err, errlen);
			i += 2;
			if (r < 0)
				return -1;
			if (r == 1) {
				if (i != n) {
					snprintf(err, errlen, "compressed RTF has %zu bytes after its "
						 "end marker", n - i);
					return -1;
				}
				return 0;
			}
		}
	}
cut:
	snprintf(err, errlen, "compressed RTF ends without its end marker");
	return -1;
}

/* 2.1.3.1.1: the header fields, checked against the data actually there. */
static int
header(const unsigned char *p, size_t n, uint32_t *type, size_t *raw, char *err,
       size_t errlen)
{
	uint32_t comp, crc;

	if (n < 16) {
		snprintf(err, errlen, "compressed RTF of %zu bytes is shorter than its header", n);
		return -1;
	}
	comp = le32(p);
	*raw = le32(p + 4);
	*type = le32(p + 8);
	crc = le32(p + 12);
	if (*type != LZFU && *type != MELA) {
		snprintf(err, errlen, "compressed RTF of unknown type 0x%08X", (unsigned)*type);
		return -1;
	}
	if ((size_t)comp != n - 4) {
		snprintf(err, errlen, "compressed RTF declares %u bytes after its size field, "
			 "has %zu", (unsigned)comp, n - 4);
		return -1;
	}
	if (*raw > RAW_MAX) {
		snprintf(err, errlen, "compressed RTF declares a raw size of %zu bytes", *raw);
		return -1;
	}
	if (*type == LZFU && crc != mime_lzfu_crc(p + 16, n - 16)) {
		snprintf(err, errlen, "compressed RTF fails its CRC (0x%08X declared, 0x%08X "
			 "computed)", (unsigned)crc, (unsigned)mime_lzfu_crc(p + 16, n - 16));
		return -1;
	}
	return 0;
}

/* 2.1.3.1.1: MELA data is the raw RTF itself (RAWSIZE bytes); the CRC field is 0. */
static int
uncompressed(struct mbx_buf *out, const unsigned char *p, size_t n, size_t raw, char *err,
	     size_t errlen)
{
	if (raw > n - 16) {
		snprintf(err, errlen, "uncompressed RTF declares %zu bytes, has %zu", raw, n - 16);
		return -1;
	}
	if (mbx_buf_append(out, p + 16, raw) < 0) {
		snprintf(err, errlen, "decompressed RTF larger than %zu bytes", out->max);
		return -1;
	}
	return 0;
}

int
mime_lzfu_decompress(struct mbx_buf *out, const void *in, size_t n, char *err,
		     size_t errlen)
{
	const unsigned char *p = in;
	struct lz *z;
	uint32_t type;
	size_t raw, start = out->len;
	int rc;

	if (header(p, n, &type, &raw, err, errlen) < 0)
		return -1;
	if (type == MELA)
		return uncompressed(out, p, n, raw, err, errlen);
	z = mbx_xcalloc(1, sizeof *z);
	memcpy(z->dict, prefix, sizeof prefix - 1);
	z->pos = sizeof prefix - 1;
	z->out = out;
	z->raw = raw;
	z->start = start;
	rc = runs(z, p + 16, n - 16, err, errlen);
	if (rc == 0 && out->len - start != raw) {
		snprintf(err, errlen, "compressed RTF makes %zu bytes, declares %zu",
			 out->len - start, raw);
		rc = -1;
	}
	free(z);
	if (rc < 0)
		out->len = start;
	if (out->data)
		out->data[out->len] = '\0';
	return rc;
}
