/* task.c: the sequential listing code of many mailboxes at once on the one HTTP engine
 * (DESIGN-NOTES "Many mailboxes in the listers"). A task per mailbox in flight runs the
 * existing blocking code; mbx_graph_run inside a task submits its request and passes the
 * baton back to the scheduler, which drives the engine, reads input and resumes the tasks
 * whose requests are done.
 *
 * Tasks are threads passing a baton: one mutex, the owner (the task that may run, NULL
 * for the scheduler) and a condition variable per task. Exactly one thread runs at any
 * time, so the engine, stdio and the programs' state need no locking, and the mutex
 * orders every hand-over (ASan, valgrind and TSan see plain threads). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "mbx.h"

/* per task: a walk 256 folders deep needs about 300 KiB, twice that under ASan; the
 * pages are virtual until touched */
#define TASK_STACK ((size_t)2 << 20)

struct qrec {                   /* an input record waiting for its mailbox's task */
	yajl_val rec;
	char *type;
	unsigned long line;
	struct qrec *next;
};

struct mbx_task {
	pthread_t th;
	pthread_cond_t cv;
	struct mbx_tasks *s;
	char *key;                  /* the mailbox */
	struct qrec *head, *tail;   /* its records, in input order */
	int ready;                  /* something it may wait for happened: resume it */
	int req_done;               /* the request of mbx_task_perform is done */
	int done;                   /* its thread has returned */
	long held;                  /* requests of its own still in flight (mbx-rm) */
	struct mbx_task *next;
};

struct mbx_tasks {
	struct mbx_graph *g;
	const struct mbx_tasks_opts *o;
	struct mbx_task *all;
	int ntasks;
	struct qrec *wait_head, *wait_tail;   /* records of mailboxes without a task */
	size_t queued;              /* records in memory, all mailboxes */
	int worst;
	int stopped;                /* a failure of every call (no token, 401): read no more */
	char **failed;              /* mailboxes stopped by a failure of their own */
	size_t nfailed;
};

static pthread_mutex_t baton = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sched_cv = PTHREAD_COND_INITIALIZER;
static struct mbx_task *owner;          /* who runs; NULL: the scheduler */
static _Thread_local struct mbx_task *self;

struct mbx_task *
mbx_task_self(void)
{
	return self;
}

/* In a task: give the baton to the scheduler until it is handed back. */
static void
mbx_task_yield(void)
{
	struct mbx_task *t = self;

	pthread_mutex_lock(&baton);
	t->ready = 0;
	owner = NULL;
	pthread_cond_signal(&sched_cv);
	while (owner != t)
		pthread_cond_wait(&t->cv, &baton);
	pthread_mutex_unlock(&baton);
}

/* From the scheduler: let t run until it yields or ends. */
static void
resume(struct mbx_task *t)
{
	pthread_mutex_lock(&baton);
	owner = t;
	pthread_cond_signal(&t->cv);
	while (owner != NULL)
		pthread_cond_wait(&sched_cv, &baton);
	pthread_mutex_unlock(&baton);
}

static void
req_done(struct mbx_req *r)
{
	struct mbx_task *t = r->ctx;

	t->req_done = t->ready = 1;
}

void
mbx_task_perform(struct mbx_http *h, struct mbx_req *r)
{
	struct mbx_task *t = self;

	t->req_done = 0;
	r->on_done = req_done;
	r->ctx = t;
	mbx_http_submit(h, r);
	while (!t->req_done)       /* a refused request is done inside submit */
		mbx_task_yield();
	if (mbx_req_fails_all(r))
		mbx_task_stop_run(t);
}

void
mbx_task_stop_run(struct mbx_task *t)
{
	t->s->stopped = MBX_EXIT_AUTH;
}

void
mbx_task_hold(struct mbx_task *t)
{
	t->held++;
}

void
mbx_task_release(struct mbx_task *t)
{
	t->held--;
	t->ready = 1;
}

void
mbx_task_drain(long max)
{
	while (self->held > max)
		mbx_task_yield();
}

static struct qrec *
pop(struct qrec **head, struct qrec **tail)
{
	struct qrec *q = *head;

	if (q && !(*head = q->next))
		*tail = NULL;
	return q;
}

static void
push(struct qrec **head, struct qrec **tail, struct qrec *q)
{
	q->next = NULL;
	if (*tail)
		(*tail)->next = q;
	else
		*head = q;
	*tail = q;
}

static void
qrec_free(struct mbx_tasks *s, struct qrec *q)
{
	s->queued--;
	yajl_tree_free(q->rec);
	free(q->type);
	free(q);
}

static int
has_failed(const struct mbx_tasks *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->nfailed; i++)
		if (strcmp(s->failed[i], key) == 0)
			return 1;
	return 0;
}

/* A mailbox's failure that is not one record's (exit 1) ends its listing, as when it is
 * listed alone (mbx_records_run stops there): its later records are not listed. */
static void
mark_failed(struct mbx_tasks *s, const char *key, int rc)
{
	if (rc == MBX_EXIT_OK || rc == MBX_EXIT_PARTIAL || has_failed(s, key))
		return;
	s->failed = mbx_xrealloc(s->failed, (s->nfailed + 1) * sizeof *s->failed);
	s->failed[s->nfailed++] = mbx_strdup(key);
}

/* A task's life: its mailbox's records in order, then what it still has in flight. */
static void *
task_main(void *arg)
{
	struct mbx_task *t = arg;
	struct mbx_tasks *s = t->s;
	struct qrec *q;
	int rc;

	pthread_mutex_lock(&baton);
	while (owner != t)
		pthread_cond_wait(&t->cv, &baton);
	pthread_mutex_unlock(&baton);
	self = t;
	/* it ends when it has no record left and nothing in flight; a record that comes
	 * meanwhile wakes it */
	for (;;) {
		if ((q = pop(&t->head, &t->tail)) == NULL) {
			if (t->held == 0)
				break;
			mbx_task_yield();
			continue;
		}
		if (!s->stopped && !has_failed(s, t->key)) {
			rc = s->o->each(s->o->ctx, q->rec, q->type, q->line);
			s->worst = mbx_exit_worst(s->worst, rc);
			mark_failed(s, t->key, rc);
		}
		qrec_free(s, q);
	}
	pthread_mutex_lock(&baton);
	t->done = 1;
	owner = NULL;
	pthread_cond_signal(&sched_cv);
	pthread_mutex_unlock(&baton);
	return NULL;
}

static struct mbx_task *
task_of(struct mbx_tasks *s, const char *key)
{
	struct mbx_task *t;

	for (t = s->all; t; t = t->next)
		if (strcmp(t->key, key) == 0)
			return t;
	return NULL;
}

static void
task_start(struct mbx_tasks *s, const char *key)
{
	struct mbx_task *t = mbx_xcalloc(1, sizeof *t);
	pthread_attr_t a;

	t->s = s;
	t->key = mbx_strdup(key);
	t->ready = 1;
	pthread_cond_init(&t->cv, NULL);
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, TASK_STACK);
	if (pthread_create(&t->th, &a, task_main, t) != 0)
		mbx_die(MBX_EXIT_SOFTWARE, "cannot start a task for '%s'", key);
	pthread_attr_destroy(&a);
	t->next = s->all;
	s->all = t;
	s->ntasks++;
}

static void
task_end(struct mbx_tasks *s, struct mbx_task *t)
{
	struct mbx_task **p;

	pthread_join(t->th, NULL);
	for (p = &s->all; *p != t; p = &(*p)->next)
		;
	*p = t->next;
	s->ntasks--;
	pthread_cond_destroy(&t->cv);
	free(t->key);
	free(t);
}

/* The records waiting for a task go to tasks while there is room, oldest first; all of a
 * mailbox's waiting records go with the first, in order. */
static void
start_waiting(struct mbx_tasks *s)
{
	struct qrec *q, *rest_h = NULL, *rest_t = NULL;
	struct mbx_task *t;
	const char *key;

	while ((q = pop(&s->wait_head, &s->wait_tail)) != NULL) {
		key = s->o->key(q->rec, q->type);
		if (s->stopped || has_failed(s, key)) {
			qrec_free(s, q);
			continue;
		}
		if (!(t = task_of(s, key)) && s->ntasks < s->o->mailboxes) {
			task_start(s, key);
			t = s->all;
		}
		if (t) {
			push(&t->head, &t->tail, q);
			t->ready = 1;
		} else
			push(&rest_h, &rest_t, q);
	}
	s->wait_head = rest_h;
	s->wait_tail = rest_t;
}

/* One round: every ready task runs until it yields; ended ones make room. */
static int
run_ready(struct mbx_tasks *s)
{
	struct mbx_task *t, *next;
	int ran = 0;

	for (t = s->all; t; t = next) {
		next = t->next;
		if (t->ready && !t->done) {
			resume(t);
			ran = 1;
		}
		if (t->done)
			task_end(s, t);
	}
	start_waiting(s);
	return ran;
}

static int
accepted(const char *const *types, const char *t)
{
	if (t && strcmp(t, "error") == 0)
		return 1;
	for (; t && *types; types++)
		if (strcmp(*types, t) == 0)
			return 1;
	return 0;
}

/* One input line: an error record passes down the pipe (mbx(7)), a bad line or type is
 * reported, an accepted record waits for its mailbox's task. */
static void
take(struct mbx_tasks *s, struct mbx_reader *rd, int rc, yajl_val rec, const char *err)
{
	struct qrec *q;
	const char *t;

	if (rc < 0) {
		mbx_record_error(NULL, NULL, "BadRecord", "%s", err);
		s->worst = mbx_exit_worst(s->worst, MBX_EXIT_PARTIAL);
		return;
	}
	t = mbx_record_type(rec);
	if (!accepted(s->o->types, t)) {
		mbx_record_error(mbx_json_str(rec, "mailbox"), NULL, "BadRecord",
				 "stdin:%lu: unexpected record type '%s'", rd->lineno, t ? t : "(none)");
		s->worst = mbx_exit_worst(s->worst, MBX_EXIT_PARTIAL);
		yajl_tree_free(rec);
		return;
	}
	if (strcmp(t, "error") != 0) {
		q = mbx_xcalloc(1, sizeof *q);
		q->rec = rec;
		q->type = mbx_strdup(t);
		q->line = rd->lineno;
		push(&s->wait_head, &s->wait_tail, q);
		s->queued++;
		start_waiting(s);
		return;
	}
	mbx_record_write(rec);
	s->worst = mbx_exit_worst(s->worst, MBX_EXIT_PARTIAL);
	yajl_tree_free(rec);
}

int
mbx_tasks_run(struct mbx_graph *g, const struct mbx_tasks_opts *o)
{
	struct mbx_tasks s = { g, o, NULL, 0, NULL, NULL, 0, 0, 0, NULL, 0 };
	struct mbx_reader rd;
	char err[512];
	yajl_val rec;
	int eof = 0, rc;

	mbx_reader_init(&rd, stdin, "stdin", (size_t)256 << 20);
	for (;;) {
		while (run_ready(&s))
			;
		if (s.stopped)
			eof = 1;
		if (!eof && s.queued < o->queue_max &&
		    (s.ntasks == 0 || !mbx_input_waits(stdin))) {
			rc = mbx_reader_next(&rd, &rec, err, sizeof err);
			if (rc == 0)
				eof = 1;
			else
				take(&s, &rd, rc, rec, err);
			continue;
		}
		if (s.ntasks == 0 && eof)
			break;
		if (eof || s.queued >= o->queue_max)
			mbx_http_step(g->http, 1000);
		else                    /* a record that comes is taken at once */
			mbx_http_step_in(g->http, 100, fileno(stdin));
	}
	mbx_reader_free(&rd);
	while (s.nfailed)
		free(s.failed[--s.nfailed]);
	free(s.failed);
	return s.worst;
}

int
mbx_parse_mailboxes(const char *arg)
{
	long n;

	if (mbx_parse_long(arg, 1, 100000, &n) < 0)
		mbx_die(MBX_EXIT_USAGE, "invalid --mailboxes '%s': expected 1..100000", arg);
	return (int)n;
}
