/* quota.c: the upload quota (graph-api.md 7: 150 MB per 5 minutes by default) as a
 * sliding window of the uploads sent through it. One window per import: the quota is the
 * service's per mailbox, and an import paces all its sessions with one window. */
#include <math.h>
#include <stdlib.h>
#include "mbx.h"

struct mbx_quota_slot {        /* an upload in the window */
	double t;                  /* when it finished; HUGE_VAL while in flight */
	size_t bytes;
};

struct mbx_quota {
	long long limit;
	double window;
	struct mbx_quota_slot **slot;
	size_t n, cap;
};

struct mbx_quota *
mbx_quota_new(long long bytes, double window)
{
	struct mbx_quota *q = mbx_xcalloc(1, sizeof *q);

	q->limit = bytes;
	q->window = window;
	return q;
}

void
mbx_quota_free(struct mbx_quota *q)
{
	size_t i;

	if (!q)
		return;
	for (i = 0; i < q->n; i++)
		free(q->slot[i]);
	free(q->slot);
	free(q);
}

/* Uploads finished more than a window ago no longer count. In-flight ones count until
 * they finish and then for a whole window: the service counts them from arrival, which
 * is earlier, so the client's view is never more generous than the service's. */
static long long
used(struct mbx_quota *q, double t)
{
	long long sum = 0;
	size_t i, k = 0;

	for (i = 0; i < q->n; i++) {
		if (q->slot[i]->t + q->window <= t) {
			free(q->slot[i]);
			continue;
		}
		sum += (long long)q->slot[i]->bytes;
		q->slot[k++] = q->slot[i];
	}
	q->n = k;
	return sum;
}

double
mbx_quota_wait(struct mbx_quota *q, size_t bytes)
{
	double t = mbx_mono(), soonest = HUGE_VAL;
	long long u = used(q, t);
	size_t i;

	if (u + (long long)bytes <= q->limit || q->n == 0)
		return 0;
	for (i = 0; i < q->n; i++)
		if (q->slot[i]->t < soonest)
			soonest = q->slot[i]->t;
	return soonest == HUGE_VAL ? -1 : soonest + q->window - t;
}

struct mbx_quota_slot *
mbx_quota_take(struct mbx_quota *q, size_t bytes)
{
	struct mbx_quota_slot *s = mbx_xcalloc(1, sizeof *s);

	s->t = HUGE_VAL;
	s->bytes = bytes;
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 64;
		q->slot = mbx_xrealloc(q->slot, q->cap * sizeof *q->slot);
	}
	q->slot[q->n++] = s;
	return s;
}

void
mbx_quota_done(struct mbx_quota_slot *s)
{
	s->t = mbx_mono();
}
