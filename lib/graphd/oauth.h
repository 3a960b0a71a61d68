/* oauth.h: the emulator's identity platform (graph-api.md 2): token and devicecode
 * endpoints, and verification of the bearer tokens it issues. Implemented in
 * lib/graphd/oauth.c (endpoints, token issue/verify) and lib/graphd/jwt.c (JWS). */
#ifndef GRAPHD_OAUTH_H
#define GRAPHD_OAUTH_H

#include <stddef.h>
#include <time.h>
#include "base.h"

/* An app registration, as seeded (mbx-graphd(1) "app" records). */
struct gd_oauth_app {
	const char *client_id;
	const char *secret;        /* NULL: no secret registered */
	const char *cert_pem;      /* NULL: no certificate registered (PEM text) */
	const char *const *roles;  /* application permissions, e.g. "MailboxFolder.Read.All" */
	size_t nroles;
	int public_client;         /* device code allowed */
};

/* A user who can sign in with the device code flow (delegated). */
struct gd_oauth_user {
	const char *upn;
	const char *id;
};

/* Who a verified token speaks for. */
struct gd_oauth_principal {
	char tenant[64];
	char client_id[64];
	char user[256];            /* UPN for delegated tokens, "" for app-only */
	int delegated;
	char roles[1024];          /* space-separated roles (app) or scopes (delegated) */
	time_t exp;
};

/* Lookups the store provides. */
struct gd_oauth_dir {
	const char *tenant_id;     /* tenant GUID */
	const char *tenant_domain; /* verified domain, also accepted in token URLs */
	const struct gd_oauth_app *(*find_app)(void *ctx, const char *client_id);
	const struct gd_oauth_user *(*find_user)(void *ctx, const char *upn);
	void *ctx;
};

struct gd_oauth;
/* key_path: file holding the token-signing key (created 0600 when missing, so tokens
 * survive a restart with --state); NULL keeps a random key in memory. */
struct gd_oauth *gd_oauth_new(const struct gd_oauth_dir *dir, const char *key_path,
			      long token_lifetime, char *err, size_t errlen);
void gd_oauth_free(struct gd_oauth *o);
void gd_oauth_set_token_lifetime(struct gd_oauth *o, long seconds);

/* POST /{tenant}/oauth2/v2.0/token or .../devicecode with an
 * application/x-www-form-urlencoded body. self_url is the emulator's own origin as the
 * client sees it ("https://127.0.0.1:8443"), used to check the assertion's aud.
 * authorization: the request's Authorization header or NULL (client_secret_basic).
 * Fills body (JSON) and returns the HTTP status (200, 400, 401). */
int gd_oauth_token(struct gd_oauth *o, const char *tenant, const char *form, size_t n,
		   const char *authorization, const char *self_url, struct mbx_buf *body);
int gd_oauth_devicecode(struct gd_oauth *o, const char *tenant, const char *form, size_t n,
			const char *self_url, struct mbx_buf *body);
/* An injected fault's OAuth error body for status: returns status. */
int gd_oauth_fault(struct mbx_buf *body, int status);
/* Test hook behind the admin endpoint: approve (or decline) a pending user_code as upn. */
int gd_oauth_device_approve(struct gd_oauth *o, const char *user_code, const char *upn,
			    int decline);

/* Verify an Authorization header ("Bearer ..."). 0 and *p filled when valid; otherwise
 * -1 with code/message for a 401 InvalidAuthenticationToken Graph error. */
int gd_oauth_verify(struct gd_oauth *o, const char *authorization,
		    struct gd_oauth_principal *p, char *message, size_t n);
/* 1 when p holds role (app: exact role; delegated: scope). */
int gd_oauth_has(const struct gd_oauth_principal *p, const char *role);

/* importUrl authtokens (graph-api.md 3.14): issue one for mailbox that expires at exp;
 * verify one for the mailbox a URL names (0, client filled; -1 and why). */
void gd_oauth_import_token(struct gd_oauth *o, const char *mailbox, const char *client,
			   time_t exp, struct mbx_buf *out);
int gd_oauth_import_verify(struct gd_oauth *o, const char *tok, const char *mailbox,
			   char *client, size_t cn, char *why, size_t n);

#endif
