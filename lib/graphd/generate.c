/* generate.c: deterministic tenants for tests, benchmarks and the demo (--generate), and
 * the FastTransfer stream of a generated item, made again on demand from its seed so that
 * 50,000 items of 40 KB do not sit in memory. */
#include <stdlib.h>
#include <string.h>
#include "graphd.h"

uint64_t gd_mix(uint64_t x);

#define DEMO_CLIENT "11111111-2222-3333-4444-555555555555"
#define DEMO_SECRET "mbx-graphd-demo-secret"

static const char *const all_roles[] = {
	"User.Read.All", "MailboxFolder.Read.All", "MailboxFolder.ReadWrite.All",
	"MailboxItem.Read.All", "MailboxItem.ReadWrite.All", "MailboxItem.Export.All",
	"MailboxItem.ImportExport.All",
};

static const char *const folder_names[] = {
	"Projects", "Receipts", "Q1/Q2 Reports", "Travel", "Clients", "Invoices", "Team",
	"Newsletters", "Archive 2025", "Back\\Slash", "Planning", "Hiring", "Legal", "Vendors",
};

static const char *const words[] = {
	"quarterly", "report", "budget", "meeting", "review", "draft", "contract", "update",
	"invoice", "travel", "plan", "roadmap", "launch", "notes", "agenda", "summary",
};

static const char *const people[] = {
	"Adele Vance", "Alex Wilber", "Diego Siciliani", "Grady Archie", "Isaiah Langer",
	"Johanna Lorenz", "Lee Gu", "Megan Bowen", "Nestor Wilke", "Patti Fernandez",
};

struct spec {
	long users, folders, items, size, seed, archive, aux, nomailbox;
	char domain[128];
};

/* A number with an optional k or m (1024s), as mbx_parse_size reads sizes. */
static int
spec_value(const char *v, long *out)
{
	long long x;

	if (mbx_parse_size(v, &x) < 0 || x > (1LL << 40))
		return -1;
	*out = (long)x;
	return 0;
}

static int
parse_spec(const char *text, struct spec *sp, char *err, size_t n)
{
	char *copy = mbx_strdup(text), *save = NULL, *tok;
	int rc = 0;

	memset(sp, 0, sizeof *sp);
	sp->users = 1;
	sp->size = 4096;
	snprintf(sp->domain, sizeof sp->domain, "contoso.com");
	for (tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		long *dst = NULL;
		if (!eq) {
			rc = -1;
			break;
		}
		*eq++ = '\0';
		if (strcmp(tok, "domain") == 0) {
			snprintf(sp->domain, sizeof sp->domain, "%s", eq);
			continue;
		}
		dst = !strcmp(tok, "users") ? &sp->users : !strcmp(tok, "folders") ? &sp->folders
		    : !strcmp(tok, "items") ? &sp->items : !strcmp(tok, "size") ? &sp->size
		    : !strcmp(tok, "seed") ? &sp->seed : !strcmp(tok, "archive") ? &sp->archive
		    : !strcmp(tok, "aux") ? &sp->aux : !strcmp(tok, "nomailbox") ? &sp->nomailbox
		    : NULL;
		if (!dst || spec_value(eq, dst) < 0)
			rc = -1;
	}
	/* an item's stream is about size bytes: no larger than the service's largest */
	if (rc == 0 && (sp->size > 150L << 20 || sp->nomailbox > sp->users))
		rc = -1;
	if (rc < 0)
		snprintf(err, n, "bad --generate spec '%s' (expected users=N,folders=N,items=N,"
			 "size=N[k|m] (at most 150m),seed=N,archive=0|1,aux=N,nomailbox=N "
			 "(at most users),domain=D)", text);
	free(copy);
	return rc;
}

/* Where generated folders and items go: the Inbox, or an archive's root. */
static struct gd_folder *
home(struct gd_mailbox *m)
{
	struct gd_folder *f = gd_folder_find(m, "inbox");

	return f ? f : m->root;
}

static void
gen_folders(struct gd_mailbox *m, const struct spec *sp, uint64_t rnd,
	    struct gd_folder **made)
{
	struct gd_folder *inbox = home(m);
	long j;

	for (j = 0; j < sp->folders; j++) {
		const char *base = folder_names[j % (long)(sizeof folder_names / sizeof *folder_names)];
		char name[160];
		struct gd_folder *parent = inbox;
		uint64_t r = gd_mix(rnd + (uint64_t)j);

		/* some nest two or three deep under an earlier user folder */
		if (j > 0 && r % 3 == 0)
			parent = made[r % (uint64_t)j];
		if (j < (long)(sizeof folder_names / sizeof *folder_names))
			snprintf(name, sizeof name, "%s", base);
		else
			snprintf(name, sizeof name, "%s %ld", base, j);
		made[j] = gd_folder_add(m, parent, name, NULL, "IPF.Note");
	}
}

static void
iso_time(uint64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
gen_items(struct gd_store *s, struct gd_mailbox *m, const struct spec *sp, uint64_t rnd,
	  struct gd_folder **made)
{
	struct gd_folder *inbox = sp->folders && !gd_folder_find(m, "inbox") ? made[0] : home(m);
	long k;

	for (k = 0; k < sp->items; k++) {
		uint64_t r = gd_mix(rnd ^ (uint64_t)(k + 1) * 0x100000001b3ULL);
		struct gd_folder *f = sp->folders && k % 3 ? made[(k / 3) % sp->folders] : inbox;
		/* 2026, spread over the year; modified a little after created */
		uint64_t t = 1767225600ULL + r % (330ULL * 86400);
		char c[32], mo[32];
		struct gd_item *it;

		iso_time(t, c, sizeof c);
		iso_time(t + (r >> 20) % 7200, mo, sizeof mo);
		it = gd_item_add(s, f, "IPM.Note", c, mo);
		it->gen_seed = r;
		it->gen_size = (size_t)sp->size;
		if (r % 4 == 0) {
			it->cats = mbx_xcalloc(1, sizeof *it->cats);
			it->cats[0] = mbx_strdup(r % 8 ? "Blue category" : "Red category");
			it->ncats = 1;
		}
	}
}

/* An archive with content, aux of whose folders are expanded into auxiliary mailboxes
 * (graph-api.md 3.17): the main archive's counts no longer include their items. */
static void
gen_archive(struct gd_store *s, struct gd_mailbox *a, const struct spec *sp, uint64_t rnd,
	    struct gd_folder **made)
{
	long j, done = 0;

	gen_folders(a, sp, rnd, made);
	gen_items(s, a, sp, rnd ^ 0x5bd1e995ULL, made);
	for (j = 0; j < sp->folders && done < sp->aux; j++)
		if (made[j]->nitems > 0) {
			gd_folder_expand(made[j], gd_aux_add(s, a));
			done++;
		}
}

int
gd_generate(struct gd_store *s, const char *text, char *err, size_t n)
{
	struct spec sp;
	uint64_t rnd;
	long u;

	if (parse_spec(text, &sp, err, n) < 0)
		return -1;
	rnd = gd_mix((uint64_t)sp.seed);
	if (!s->tenant_id) {
		char g[64];
		uint64_t a = gd_mix(rnd), b = gd_mix(a);
		snprintf(g, sizeof g, "%08x-%04x-4%03x-a%03x-%012llx", (unsigned)(a >> 32),
			 (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff, (unsigned)b & 0xfff,
			 (unsigned long long)(b >> 16) & 0xffffffffffffULL);
		s->tenant_id = mbx_strdup(g);
		s->domain = mbx_strdup(sp.domain);
	}
	if (s->napps == 0)
		gd_app_add(s, DEMO_CLIENT, DEMO_SECRET, NULL, all_roles,
			   sizeof all_roles / sizeof *all_roles, 1);
	s->idseq = rnd & 0xffffff;
	for (u = 1; u <= sp.users; u++) {
		char upn[256], name[64];
		struct gd_user *usr;
		struct gd_folder **made = mbx_xcalloc((size_t)sp.folders + 1, sizeof *made);

		snprintf(upn, sizeof upn, "user%ld@%s", u, sp.domain);
		snprintf(name, sizeof name, "User %ld", u);
		usr = gd_user_add(s, upn, NULL, name, NULL);
		if (u > sp.users - sp.nomailbox) {  /* the last ones have no mailbox */
			free(made);
			continue;
		}
		gd_user_mailboxes(s, usr, NULL, NULL, (int)sp.archive);
		gen_folders(usr->primary, &sp, rnd + (uint64_t)u * 7919, made);
		gen_items(s, usr->primary, &sp, rnd + (uint64_t)u * 104729, made);
		if (usr->archive && sp.aux > 0)
			gen_archive(s, usr->archive, &sp, rnd + (uint64_t)u * 31337, made);
		free(made);
	}
	return 0;
}

/* Pad the body so the stream comes out near the requested size (UTF-16: x2): words
 * picked by seed and length, written in place (this runs for every exported item). */
static int
pad_words(struct mbx_buf *body, uint64_t r, size_t size)
{
	size_t nw = sizeof words / sizeof *words, want = size / 2 + 16, len[sizeof words /
		sizeof *words], i, k;
	char *o;

	if (body->len * 2 + 1200 >= size)
		return 0;
	if (mbx_buf_reserve(body, want) < 0)
		return -1;
	for (i = 0; i < nw; i++)
		len[i] = strlen(words[i]);
	o = body->data + body->len;
	while ((size_t)(o - body->data) * 2 + 1200 < size) {
		i = (r + (size_t)(o - body->data)) % nw;
		k = len[i];
		memcpy(o, words[i], k);
		o[k] = ' ';
		o += k + 1;
	}
	body->len = (size_t)(o - body->data);
	body->data[body->len] = '\0';
	return 0;
}

/* The message of a generated item, from its seed alone. */
int
gd_item_stream(const struct gd_item *it, struct mbx_buf *out)
{
	struct fx_recip to[2];
	struct fx_attach att;
	struct fx_msg m;
	char subject[200], body_head[320], addr[2][128];
	struct mbx_buf body;
	uint64_t r = it->gen_seed;
	size_t np = sizeof people / sizeof *people, nw = sizeof words / sizeof *words, i;
	int rc;

	if (it->blob)
		return mbx_buf_append(out, it->blob->bytes, it->blob->len);
	memset(&m, 0, sizeof m);
	snprintf(subject, sizeof subject, "%s %s %s", words[r % nw], words[(r >> 8) % nw],
		 words[(r >> 16) % nw]);
	for (i = 0; i < 2; i++) {
		const char *p = people[(r >> (24 + 4 * i)) % np];
		to[i].name = p;
		snprintf(addr[i], sizeof addr[i], "%.*s@contoso.com", (int)strcspn(p, " "), p);
		to[i].address = addr[i];
		to[i].type = (int)i + 1;
	}
	snprintf(body_head, sizeof body_head, "Hello,\n\nplease find the %s attached.\n", subject);
	mbx_buf_init(&body, GD_STREAM_MAX);
	mbx_buf_puts(&body, body_head);
	if (pad_words(&body, r, it->gen_size) < 0) {
		mbx_buf_free(&body);
		return -1;
	}
	m.message_class = it->cls;
	m.subject = subject;
	m.body = body.data;
	m.sender_name = people[(r >> 40) % np];
	m.sender_address = "sender@fabrikam.com";
	m.delivery_time = 1767225600 + (int64_t)(r % (330ULL * 86400));
	m.flags = 1;
	m.recips = to;
	m.nrecips = 2;
	m.categories = (const char *const *)it->cats;
	m.ncategories = it->ncats;
	if (r % 5 == 0) {
		att.name = "notes.txt";
		att.mime = "text/plain";
		att.data = body_head;
		att.len = strlen(body_head);
		m.attachs = &att;
		m.nattachs = 1;
	}
	rc = fx_generate(out, &m);
	mbx_buf_free(&body);
	return rc;
}
