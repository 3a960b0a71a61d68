/* server.h: the emulator's HTTP server and its shared state. */
#ifndef GRAPHD_SERVER_H
#define GRAPHD_SERVER_H
#include <stdio.h>
#include "graphd.h"

struct gd_fault {
	char match[256], method[16], body[16], itemerror[64], location[512], code[64];
	int status, latency_ms, omit;
	double retry_after;
	long count, skip, hits;    /* count 0 = unlimited */
	double rate;               /* fire on this share of matching requests (0: all) */
	long seed, jitter_ms, storm_s;
	int date;                  /* Retry-After as an HTTP-date */
	unsigned long draws;
	double storm_until;        /* a storm: every match until then, once started */
};

struct gd_wait {               /* Retry-After told to a client for a route */
	char key[320];
	double since, until;       /* a request arriving in [since, until) is early */
};

struct gd_server {
	struct gd_store store;
	struct gd_oauth *oauth;
	struct MHD_Daemon *mhd;
	int tls;
	FILE *log;
	pthread_mutex_t log_mu, fault_mu;
	struct gd_fault faults[64];
	size_t nfaults;
	struct gd_wait waits[256];
	size_t nwaits;
	unsigned long violations;
};

int gd_faults_set(struct gd_server *sv, const char *text, char *err, size_t n);
void gd_faults_json(struct gd_server *sv, struct mbx_buf *out);
int gd_admin(struct gd_server *sv, struct gd_req *r);   /* 1 handled */
/* Count a request against its mailbox's concurrency limit: 0 no mailbox, 1 counted,
 * -1 counted and over the limit (a 429 is in r). gd_route_leave undoes a non-zero. */
int gd_route_enter(struct gd_server *sv, struct gd_req *r);
void gd_route_leave(struct gd_server *sv, struct gd_req *r);
void gd_route_leave_id(struct gd_server *sv, const char *mailbox);
int gd_fault_add(struct gd_server *sv, const char *rule, char *err, size_t n);
int gd_server_start(struct gd_server *sv, const char *listen, const char *cert,
		    const char *key, const char *port_file, char *err, size_t n);
void gd_server_stop(struct gd_server *sv);
#endif
