/* users.c: the tenant's directory as Graph's users API serves it (v1.0 and beta):
 * GET /users with $select, $top (default 100, at most 999), paging by @odata.nextLink
 * with an opaque $skiptoken, and $filter on userPrincipalName and mail with eq and
 * startswith() (the users API's "List users" page); GET /users/{id | userPrincipalName};
 * and GET /users/{id}/settings/exchange (graph-api.md 3.1). Directory errors have the
 * directory's codes: Authorization_RequestDenied, Request_ResourceNotFound,
 * Request_BadRequest, Request_UnsupportedQuery. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "routes.h"
#include "odata.h"

#define USERS_PAGE 100
#define USERS_TOP_MAX 999

static const char *const user_props[] = { "id", "userPrincipalName", "mail", "displayName",
					  NULL };

/* User.Read.All or a permission that includes it (the users API's permission table). */
static int
directory_auth(struct gd_server *sv, struct gd_req *r, struct gd_oauth_principal *pr)
{
	static const char *const roles[] = { "User.Read.All", "User.ReadWrite.All",
		"Directory.Read.All", "Directory.ReadWrite.All", NULL };
	char why[256];
	size_t i;

	if (gd_oauth_verify(sv->oauth, r->authorization, pr, why, sizeof why) < 0) {
		gd_json_error(r, 401, "InvalidAuthenticationToken", "%s", why);
		return -1;
	}
	mbx_strlcpy(r->app, pr->client_id, sizeof r->app);
	for (i = 0; roles[i]; i++)
		if (gd_oauth_has(pr, roles[i]))
			return 0;
	gd_json_error(r, 403, "Authorization_RequestDenied",
		      "Insufficient privileges to complete the operation.");
	return -1;
}

/* ---------------------------------------------------------------- $filter */

struct flt {
	const char *p;
	char err[200];
};

static void
skip_sp(struct flt *f)
{
	while (*f->p == ' ')
		f->p++;
}

/* A quoted string ('' inside for a quote) into out. */
static int
quoted(struct flt *f, char *out, size_t n)
{
	size_t k = 0;

	skip_sp(f);
	if (*f->p != '\'')
		return -1;
	for (f->p++; *f->p && !(*f->p == '\'' && f->p[1] != '\''); f->p++) {
		if (*f->p == '\'')
			f->p++;
		if (k + 1 < n)
			out[k++] = *f->p;
	}
	if (*f->p != '\'')
		return -1;
	f->p++;
	out[k] = '\0';
	return 0;
}

/* A property name: userPrincipalName or mail (1, 2), or -1 with the error. */
static int
property(struct flt *f)
{
	size_t k;

	skip_sp(f);
	k = strspn(f->p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
	if (k == 17 && strncasecmp(f->p, "userPrincipalName", k) == 0)
		return f->p += k, 1;
	if (k == 4 && strncasecmp(f->p, "mail", k) == 0)
		return f->p += k, 2;
	snprintf(f->err, sizeof f->err, "Unsupported or invalid query filter clause specified "
		 "for property '%.*s' of resource 'User'.", k ? (int)(k > 64 ? 64 : k) : 1,
		 k ? f->p : "?");
	return -1;
}

static int
word(struct flt *f, const char *w)
{
	size_t n = strlen(w);

	skip_sp(f);
	if (strncasecmp(f->p, w, n) != 0)
		return 0;
	f->p += n;
	return 1;
}

/* Directory strings compare without regard to case. */
static int
clause_true(const struct gd_user *u, int prop, int starts, const char *val)
{
	const char *s = prop == 1 ? u->upn : u->mail;

	if (!s)
		return 0;
	return starts ? strncasecmp(s, val, strlen(val)) == 0 : strcasecmp(s, val) == 0;
}

/* One clause, "prop eq 'v'" or "startswith(prop,'v')": 1, 0, or -1 with the error. */
static int
clause(struct flt *f, const struct gd_user *u)
{
	char val[256];
	int prop, starts = word(f, "startswith(");

	if ((prop = property(f)) < 0)
		return -1;
	if (starts) {
		skip_sp(f);
		if (*f->p++ != ',' || quoted(f, val, sizeof val) < 0 || (skip_sp(f), *f->p++ != ')'))
			goto syntax;
	} else if (!word(f, "eq ") || quoted(f, val, sizeof val) < 0) {
		goto syntax;
	}
	return clause_true(u, prop, starts, val);
syntax:
	snprintf(f->err, sizeof f->err, "Invalid filter clause: only 'property eq 'value'' and "
		 "'startswith(property,'value')' on userPrincipalName and mail are supported.");
	return -1;
}

/* clauses joined by and/or (and binds tighter): 1, 0, or -1 with the error. */
static int
filter_match(const char *filter, const struct gd_user *u, char *err, size_t n)
{
	struct flt f = { filter, "" };
	int any = 0, all = 1, c;

	for (;;) {
		if ((c = clause(&f, u)) < 0)
			break;
		all = all && c;
		skip_sp(&f);
		if (!*f.p)
			return any || all;
		if (word(&f, "or ")) {
			any = any || all;
			all = 1;
		} else if (!word(&f, "and ")) {
			snprintf(f.err, sizeof f.err, "Invalid filter clause near '%.40s'.", f.p);
			break;
		}
	}
	mbx_strlcpy(err, f.err, n);
	return -1;
}

/* ---------------------------------------------------------------- objects */

/* $select: known properties only (400 otherwise, as for a property users lack). */
static int
select_ok(struct gd_req *r)
{
	const char *sel = gd_odata(r, "select"), *p;
	size_t k, i;

	for (p = sel; p && *p; p += k + (p[k] == ',')) {
		while (*p == ' ')
			p++;
		k = strcspn(p, ",");
		for (i = 0; user_props[i] && !(strlen(user_props[i]) == k &&
					       strncasecmp(user_props[i], p, k) == 0); i++)
			;
		if (!user_props[i]) {
			gd_json_error(r, 400, "Request_BadRequest", "Could not find a property named "
				      "'%.*s' on type 'microsoft.graph.user'.", k > 64 ? 64 : (int)k, p);
			return -1;
		}
	}
	return 0;
}

/* A user: without $select its four properties; with it the selected ones only (the
 * directory leaves out id too unless it is selected). */
static void
user_members(struct gd_req *r, struct mbx_jw *w, const struct gd_user *u)
{
	if (gd_odata_selected(r, "id"))
		mbx_jw_kstr(w, "id", u->id);
	if (gd_odata_selected(r, "userPrincipalName"))
		mbx_jw_kstr(w, "userPrincipalName", u->upn);
	if (gd_odata_selected(r, "mail"))
		mbx_jw_kstr(w, "mail", u->mail);
	if (gd_odata_selected(r, "displayName"))
		mbx_jw_kstr(w, "displayName", u->name);
}

static void
user_json(struct gd_req *r, struct mbx_jw *w, const struct gd_user *u)
{
	mbx_jw_obj(w);
	user_members(r, w, u);
	mbx_jw_end(w);
}

static void
context(struct gd_req *r, const struct gd_path *p, struct mbx_jw *w, const char *tail)
{
	char ctx[1024];
	const char *sel = gd_odata(r, "select");

	snprintf(ctx, sizeof ctx, "%s/%s/$metadata#users%s%s%s%s", r->self, p->ver,
		 sel ? "(" : "", sel ? sel : "", sel ? ")" : "", tail);
	r->status = 200;
	mbx_buf_reset(&r->out);
	mbx_jw_init(w, &r->out);
	mbx_jw_obj(w);
	mbx_jw_kstr(w, "@odata.context", ctx);
}

/* ---------------------------------------------------------------- paging */

/* Query options: only these, and $top in 1..999. */
static int
list_options(struct gd_req *r, long *top)
{
	static const char *const ok[] = { "select", "top", "filter", "skiptoken", NULL };
	const char *t = gd_odata(r, "top");
	char bad[128];

	*top = USERS_PAGE;
	if (gd_odata_check(r, ok, bad, sizeof bad) < 0) {
		gd_json_error(r, 400, "Request_BadRequest",
			      "Query option '%s' is not supported by this emulator's users API.", bad);
		return -1;
	}
	if (t && mbx_parse_long(t, 1, USERS_TOP_MAX, top) < 0) {
		gd_json_error(r, 400, "Request_BadRequest", "Invalid page size specified: '%s'. "
			      "Must be between 1 and %d inclusive.", t, USERS_TOP_MAX);
		return -1;
	}
	return select_ok(r);
}

/* $skiptoken: base64url of "users:N", N the users already passed (opaque to clients). */
static int
token_offset(struct gd_req *r, size_t nusers, size_t *from)
{
	const char *t = gd_odata(r, "skiptoken");
	struct mbx_buf b;
	long n = -1;

	*from = 0;
	if (!t)
		return 0;
	mbx_buf_init(&b, 64);
	if (mbx_b64_decode(&b, t, strlen(t)) == 0 && b.len > 6 && strncmp(b.data, "users:", 6) == 0)
		mbx_parse_long(b.data + 6, 0, (long)nusers, &n);
	mbx_buf_free(&b);
	if (n < 0) {
		gd_json_error(r, 400, "Request_BadRequest",
			      "The specified page token value has expired or is invalid.");
		return -1;
	}
	*from = (size_t)n;
	return 0;
}

/* This URL with every option but $skiptoken, then the token for next. */
static void
next_link(const struct gd_req *r, size_t next, struct mbx_buf *out)
{
	char raw[32];

	gd_odata_link(r, "$skiptoken", out);
	snprintf(raw, sizeof raw, "users:%zu", next);
	mbx_buf_puts(out, "%24skiptoken=");
	mbx_b64url_encode(out, raw, strlen(raw));
}

static void
list_users(struct gd_server *sv, struct gd_req *r, const struct gd_path *p)
{
	struct gd_store *s = &sv->store;
	const char *filter = gd_odata(r, "filter");
	struct mbx_buf next;
	struct mbx_jw w;
	char err[300];
	size_t i, from;
	long top, shown = 0;
	int m = 1;

	if (list_options(r, &top) < 0 || token_offset(r, s->nusers, &from) < 0)
		return;
	context(r, p, &w, "");
	mbx_jw_key(&w, "value");
	mbx_jw_arr(&w);
	for (i = from; i < s->nusers && shown < top; i++) {
		if (filter && (m = filter_match(filter, s->users[i], err, sizeof err)) < 0) {
			gd_json_error(r, 400, strncmp(err, "Invalid", 7) ? "Request_UnsupportedQuery"
				      : "BadRequest", "%s", err);
			return;
		}
		if (m) {
			user_json(r, &w, s->users[i]);
			shown++;
		}
	}
	mbx_jw_end(&w);
	mbx_buf_init(&next, 0);
	if (i < s->nusers)                 /* perhaps nothing more matches: Graph says so too */
		next_link(r, i, &next);
	gd_out_end(r, &w, "@odata.nextLink", next.data);
	mbx_buf_free(&next);
}

static void
one_user(struct gd_req *r, const struct gd_path *p, const struct gd_user *u)
{
	static const char *const ok[] = { "select", NULL };
	struct mbx_jw w;
	char bad[128];

	if (gd_odata_check(r, ok, bad, sizeof bad) < 0) {
		gd_json_error(r, 400, "Request_BadRequest", "Query option '%s' is not supported "
			      "on a user here.", bad);
		return;
	}
	if (select_ok(r) < 0)
		return;
	context(r, p, &w, "/$entity");
	user_members(r, &w, u);
	mbx_jw_end(&w);
}

static void
not_found(struct gd_req *r, const char *who)
{
	gd_json_error(r, 404, "Request_ResourceNotFound", "Resource '%s' does not exist or one "
		      "of its queried reference-property objects are not present.", who);
}

/* ---------------------------------------------------------------- settings (3.1) */

static void
settings(struct gd_server *sv, struct gd_req *r, const struct gd_path *p)
{
	static const char *const none[] = { NULL };
	struct gd_oauth_principal pr;
	struct gd_user *u;
	struct mbx_jw w;

	if (gd_authorise(sv, r, "User.Read.All", "User.ReadWrite.All", &pr) < 0 ||
	    gd_no_options(r, none) < 0)
		return;
	gd_store_lock(&sv->store);
	u = gd_user_find(&sv->store, p->seg[2]);
	if (!u)
		not_found(r, p->seg[2]);
	else if (pr.delegated && strcasecmp(pr.user, u->upn) != 0)
		gd_json_error(r, 403, "ErrorAccessDenied", "Access is denied.");
	else if (!u->primary)             /* 3.1: no Exchange Online mailbox */
		gd_json_error(r, 404, "MailboxNotEnabledForRESTAPI", "The user '%s' has no "
			      "Exchange Online mailbox.", u->upn);
	else {
		gd_out_start(r, &w, "users('x')/settings/exchange/$entity");
		mbx_jw_kstr(&w, "id", u->id);
		mbx_jw_kstr(&w, "primaryMailboxId", u->primary->id);
		/* 8.18: the archive id is a beta property */
		if (u->archive && strcmp(p->ver, "beta") == 0)
			mbx_jw_kstr(&w, "inPlaceArchiveMailboxId", u->archive->id);
		mbx_jw_end(&w);
	}
	gd_store_unlock(&sv->store);
}

/* /users, /users/{id}, /users/{id}/settings/exchange. 1 when p is one of them. */
int
gd_users_route(struct gd_server *sv, struct gd_req *r, const struct gd_path *p)
{
	struct gd_oauth_principal pr;
	struct gd_user *u;

	if (!gd_is(p, 1, "users") || (p->n != 2 && p->n != 3 && !(p->n == 5 &&
	    gd_is(p, 3, "settings") && gd_is(p, 4, "exchange"))))
		return 0;
	if (p->n == 5) {
		settings(sv, r, p);
		return 1;
	}
	if (strcasecmp(r->method, "GET") != 0) {
		gd_json_error(r, 405, "Request_BadRequest", "Only GET is supported on users here.");
		return 1;
	}
	if (directory_auth(sv, r, &pr) < 0)
		return 1;
	gd_store_lock(&sv->store);
	if (p->n == 2)
		list_users(sv, r, p);
	else if ((u = gd_user_find(&sv->store, p->seg[2])) != NULL)
		one_user(r, p, u);
	else
		not_found(r, p->seg[2]);
	gd_store_unlock(&sv->store);
	return 1;
}
