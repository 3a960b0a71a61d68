/* progress.c: the progress line of a long run (mbx(7) PROGRESS) on the terminal.
 *
 * A program fills a struct mbx_progress with its counts (or gives a fill function that
 * copies them from its engine) and calls mbx_progress_tick() from its loop; the line is
 * drawn at most 10 times a second, only when stderr is the terminal of the foreground
 * process group, and erased at the end, at exit and on a fatal signal.
 *
 * The stages of a pipeline share the terminal and its process group. Each takes a line
 * (a slot) in a small registry file named by the user, the terminal and the process
 * group; it holds the text of every slot. Whoever writes on the terminal does so under
 * the registry's lock, and between writes the cursor rests at the start of the region's
 * first line: a slot k is reached by k newlines (which scroll when the region reaches
 * the bottom of the screen) and left by moving k lines up. Other output (log lines,
 * records when stdout is the terminal) erases the region, is written, and the region is
 * drawn again below it from the registry (mbx_progress_hold/release). DESIGN-NOTES says
 * why this and not cursor position reports. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include "base.h"

#define NSLOT 8                /* lines of one process group's region */
#define TEXT 252               /* bytes of a slot's text, NUL included */
#define FIRST_DRAW 0.25        /* seconds: a quick run shows nothing */
#define INTERVAL 0.1           /* at most 10 draws a second */
#define NSAMPLE 50             /* the rate is taken over the last 50 draws (5 s) */

struct slot {                  /* one line of the registry file */
	int32_t pid;               /* its owner, 0 when free */
	char text[TEXT];           /* what it shows, "" before its first draw */
};

struct sample {
	double t;
	unsigned long long done, bytes;
};

static struct {
	struct mbx_progress *p;    /* the line shown, NULL when none */
	int slot;
	int drawn;                 /* its text is in the registry (and on the screen) */
	double t0, last;
	struct sample ring[NSAMPLE];
	int nring, iring;
	char erase[64];            /* erases our line: built when the slot is known */
	size_t nerase;
} pr;

static char regpath[160];      /* "" until known; "-" when there can be none */
static int held_fd = -1, held_depth;
static sigset_t held_old;
static const int sigs[] = { SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT, SIGTSTP, SIGCONT };
#define NSIGS ((int)(sizeof sigs / sizeof sigs[0]))
static struct sigaction saved[NSIGS], ours;
static int installed[NSIGS];

/* --------------------------------------------------------------- small tools */

static void
write_all(const char *s, size_t n)
{
	ssize_t k;

	while (n > 0) {
		k = write(STDERR_FILENO, s, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;                 /* the terminal is gone: nothing to keep tidy */
		s += k;
		n -= (size_t)k;
	}
}

/* Append s to a fixed buffer (no allocation: the signal handler builds nothing, but the
 * draw paths share these). */
struct out {
	char b[NSLOT * (TEXT + 32) + 16];
	size_t n;
};

static void
out_put(struct out *o, const char *s, size_t n)
{
	if (n > sizeof o->b - o->n)
		n = sizeof o->b - o->n;
	memcpy(o->b + o->n, s, n);
	o->n += n;
}

static void
out_str(struct out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

/* From the region's first line to line k: '\n' makes the line when the region reaches
 * the bottom of the screen (it scrolls; a cursor-down would stay on the last line). */
static void
out_down(struct out *o, int k)
{
	out_put(o, "\r", 1);
	while (k-- > 0)
		out_put(o, "\n", 1);
}

/* Back to the first line of the region: ESC [ k A (ECMA-48 8.3.22, CUU). */
static void
out_up(struct out *o, int k)
{
	char s[16];

	out_put(o, "\r", 1);
	if (k > 0) {
		snprintf(s, sizeof s, "\033[%dA", k);
		out_str(o, s);
	}
}

static int
columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

/* Line k of the region showing text, cut to the width so that it never wraps (a
 * wrapped line would shift every line below it). */
static void
out_line(struct out *o, int k, const char *text, int cols)
{
	size_t n = strlen(text);

	out_down(o, k);
	out_put(o, text, n < (size_t)cols - 1 ? n : (size_t)cols - 1);
	out_str(o, "\033[K");            /* EL: the rest of a longer earlier text */
	out_up(o, k);
}

static void
block(sigset_t *old)
{
	sigset_t s;
	int i;

	sigemptyset(&s);
	for (i = 0; i < NSIGS; i++)
		sigaddset(&s, sigs[i]);
	sigprocmask(SIG_BLOCK, &s, old);
}

static void
unblock(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

/* ------------------------------------------------------------------ registry */

static int
foreground(void)
{
	pid_t fg = tcgetpgrp(STDERR_FILENO);

	return fg > 0 && fg == getpgrp();
}

/* The registry of this user, terminal and process group: /tmp, not $TMPDIR, so that
 * every stage finds the same one whatever its environment. */
static const char *
registry(void)
{
	struct stat st;

	if (*regpath)
		return *regpath == '-' ? NULL : regpath;
	if (!isatty(STDERR_FILENO) || fstat(STDERR_FILENO, &st) < 0) {
		mbx_strlcpy(regpath, "-", sizeof regpath);
		return NULL;
	}
	snprintf(regpath, sizeof regpath, "/tmp/mbx-progress-%lu-%llx-%ld",
		 (unsigned long)geteuid(), (unsigned long long)st.st_rdev, (long)getpgrp());
	return regpath;
}

/* The registry open and locked: its descriptor, or -1. One that its last user removed
 * while we waited for the lock is left for the new one. Only ours is used (a file of
 * another owner, or a link, is refused). */
static int
reg_lock(int create)
{
	struct stat a, b;
	int fd, tries;

	if (held_fd >= 0)
		return held_fd;
	for (tries = 0; tries < 4; tries++) {
		fd = open(regpath, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
		if (fd < 0)
			return -1;
		if (flock(fd, LOCK_EX) == 0 && fstat(fd, &a) == 0 && stat(regpath, &b) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			if (a.st_uid == geteuid() && S_ISREG(a.st_mode))
				return fd;
			tries = 4;
		}
		close(fd);
	}
	return -1;
}

static void
reg_unlock(int fd)
{
	if (fd >= 0 && fd != held_fd)
		close(fd);                  /* closing drops the lock */
}

static int
slot_read(int fd, int k, struct slot *s)
{
	memset(s, 0, sizeof *s);
	if (pread(fd, s, sizeof *s, (off_t)k * (off_t)sizeof *s) < 0)
		return -1;
	s->text[TEXT - 1] = '\0';
	return 0;
}

static void
slot_write(int fd, int k, const struct slot *s)
{
	if (pwrite(fd, s, sizeof *s, (off_t)k * (off_t)sizeof *s) < 0)
		return;                     /* the line is drawn anyway; only a redraw misses it */
}

static int
alive(pid_t pid)
{
	return pid > 0 && (pid == getpid() || kill(pid, 0) == 0 || errno == EPERM);
}

/* Whether any slot but skip has a live owner. */
static int
others(int fd, int skip)
{
	struct slot s;
	int k;

	for (k = 0; k < NSLOT; k++)
		if (k != skip && slot_read(fd, k, &s) == 0 && alive(s.pid))
			return 1;
	return 0;
}

/* The lowest slot without a live owner, taken: its number, or -1 when all are used. */
static int
slot_take(int fd)
{
	struct slot s;
	int k;

	for (k = 0; k < NSLOT; k++) {
		if (slot_read(fd, k, &s) < 0)
			return -1;
		if (!alive(s.pid)) {
			memset(&s, 0, sizeof s);
			s.pid = (int32_t)getpid();
			slot_write(fd, k, &s);
			return k;
		}
	}
	return -1;
}

/* Every live slot's text, drawn from the region's first line. */
static void
redraw_all(int fd)
{
	struct out o;
	struct slot s;
	int k, cols = columns();

	o.n = 0;
	for (k = 0; k < NSLOT; k++)
		if (slot_read(fd, k, &s) == 0 && alive(s.pid) && *s.text)
			out_line(&o, k, s.text, cols);
	write_all(o.b, o.n);
}

/* Our line off the screen and out of the registry (the slot too when leave); the last
 * to leave removes the registry. Async-signal-safe: called from the handler. */
static void
erase_own(int leave)
{
	struct slot s;
	int fd;

	if (!pr.p)
		return;
	fd = reg_lock(0);
	if (pr.drawn)
		write_all(pr.erase, pr.nerase);
	pr.drawn = 0;
	if (fd < 0)
		return;
	if (slot_read(fd, pr.slot, &s) == 0 && s.pid == (int32_t)getpid()) {
		memset(s.text, 0, sizeof s.text);
		if (leave)
			s.pid = 0;
		slot_write(fd, pr.slot, &s);
	}
	if (leave && !others(fd, pr.slot))
		unlink(regpath);
	reg_unlock(fd);
}

/* ------------------------------------------------------------------- signals */

static void restore_signals(void);

/* Erase our line, then die (or stop) as the signal would have made us. */
static void
on_signal(int sig)
{
	int e = errno, i;

	if (sig == SIGCONT) {           /* back from a stop: the next tick draws again */
		for (i = 0; i < NSIGS; i++)
			if (sigs[i] == SIGTSTP && installed[i])
				sigaction(SIGTSTP, &ours, NULL);
		errno = e;
		return;
	}
	erase_own(sig != SIGTSTP);
	if (sig == SIGTSTP) {
		signal(SIGTSTP, SIG_DFL);   /* stops when the handler returns; SIGCONT reinstalls */
	} else {
		restore_signals();
		pr.p = NULL;
	}
	raise(sig);
	errno = e;
}

static void
install_signals(void)
{
	struct sigaction cur;
	int i;

	memset(&ours, 0, sizeof ours);
	ours.sa_handler = on_signal;
	ours.sa_flags = SA_RESTART;
	sigemptyset(&ours.sa_mask);
	for (i = 0; i < NSIGS; i++)
		sigaddset(&ours.sa_mask, sigs[i]);
	for (i = 0; i < NSIGS; i++) {
		installed[i] = 0;
		/* a signal the program ignores or handles itself is left to it */
		if (sigaction(sigs[i], NULL, &cur) < 0 || cur.sa_handler != SIG_DFL)
			continue;
		if (sigaction(sigs[i], &ours, &saved[i]) == 0)
			installed[i] = 1;
	}
}

static void
restore_signals(void)
{
	int i;

	for (i = 0; i < NSIGS; i++)
		if (installed[i]) {
			sigaction(sigs[i], &saved[i], NULL);
			installed[i] = 0;
		}
}

/* ---------------------------------------------------------------- the line */

/* 1234567 as "1,234,567". */
static void
fmt_count(char *s, size_t n, unsigned long long v)
{
	char d[32];
	size_t len, i, k = 0;

	snprintf(d, sizeof d, "%llu", v);
	len = strlen(d);
	for (i = 0; i < len && k + 2 < n; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			s[k++] = ',';
		s[k++] = d[i];
	}
	s[k] = '\0';
}

static void
fmt_bytes(char *s, size_t n, double v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(s, n, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static void
fmt_time(char *s, size_t n, double secs)
{
	unsigned long t = secs < 0 ? 0 : (unsigned long)(secs + 0.5);

	if (t < 60)
		snprintf(s, n, "%lus", t);
	else if (t < 3600)
		snprintf(s, n, "%lum%02lus", t / 60, t % 60);
	else
		snprintf(s, n, "%luh%02lum", t / 3600, t / 60 % 60);
}

/* The rates over the samples of the last few seconds (from the start at first). */
static void
rates(double now, double *items, double *bytes)
{
	const struct sample *old = &pr.ring[pr.nring < NSAMPLE ? 0 : pr.iring];
	double dt = now - old->t;

	*items = *bytes = 0;
	if (dt <= 0)
		return;
	*items = (double)(pr.p->done - old->done) / dt;
	*bytes = (double)(pr.p->bytes - old->bytes) / dt;
}

static void
sample(double now)
{
	struct sample *s = &pr.ring[pr.iring];

	s->t = now;
	s->done = pr.p->done;
	s->bytes = pr.p->bytes;
	pr.iring = (pr.iring + 1) % NSAMPLE;
	if (pr.nring < NSAMPLE)
		pr.nring++;
}

/* "mbx-import: 1,234 / 5,000 items (24%), 45.1 MiB, 12.3 items/s, 1.2 MiB/s,
 * 3 throttled (4s), 2 failed, ETA 5m06s": the parts that are known. */
static void
format(struct mbx_buf *b, double now)
{
	const struct mbx_progress *p = pr.p;
	const char *unit = p->unit ? p->unit : "items";
	unsigned long long total = p->total && p->total < p->done ? p->done : p->total;
	char c1[32], c2[32], by[32], br[32];
	double ri, rb;

	rates(now, &ri, &rb);
	fmt_count(c1, sizeof c1, p->done);
	mbx_buf_printf(b, "%s: %s", mbx_progname, c1);
	if (total) {
		fmt_count(c2, sizeof c2, total);
		mbx_buf_printf(b, " / %s %s (%d%%)", c2, unit, (int)(100.0 * p->done / total));
	} else {
		mbx_buf_printf(b, " %s", unit);
	}
	fmt_bytes(by, sizeof by, (double)p->bytes);
	fmt_bytes(br, sizeof br, rb);
	if (p->bytes)
		mbx_buf_printf(b, ", %s", by);
	mbx_buf_printf(b, ", %.1f %s/s", ri, unit);
	if (p->bytes)
		mbx_buf_printf(b, ", %s/s", br);
	if (p->waits) {
		fmt_time(c2, sizeof c2, p->waited);
		mbx_buf_printf(b, ", %llu throttled (%s)", p->waits, c2);
	}
	if (p->failed)
		mbx_buf_printf(b, ", %llu failed", p->failed);
	if (total > p->done && ri > 0) {
		fmt_time(c2, sizeof c2, (double)(total - p->done) / ri);
		mbx_buf_printf(b, ", ETA %s", c2);
	}
}

/* Our line, under the lock; the slot is taken again if its registry was replaced. */
static void
draw(const char *text)
{
	struct slot s;
	struct out o;
	sigset_t old;
	int fd;

	block(&old);
	fd = reg_lock(1);
	if (fd >= 0 && slot_read(fd, pr.slot, &s) == 0 &&
	    (s.pid == (int32_t)getpid() || !alive(s.pid))) {
		s.pid = (int32_t)getpid();
		mbx_strlcpy(s.text, text, sizeof s.text);
		slot_write(fd, pr.slot, &s);
		o.n = 0;
		out_line(&o, pr.slot, s.text, columns());
		write_all(o.b, o.n);
		pr.drawn = 1;
	}
	reg_unlock(fd);
	unblock(&old);
}

/* ------------------------------------------------------------------ the API */

static void
at_exit(void)
{
	mbx_progress_end();
}

/* MBX_PROGRESS=0, TERM unset or dumb, -q: no line. */
static int
wanted(void)
{
	const char *e = getenv("MBX_PROGRESS"), *term = getenv("TERM");

	return mbx_verbosity >= 0 && !(e && strcmp(e, "0") == 0) && term && *term &&
	       strcmp(term, "dumb") != 0 && registry() != NULL;
}

int
mbx_progress_start(struct mbx_progress *p)
{
	static int registered;
	struct out o;
	sigset_t old;
	int fd;

	if (pr.p || !wanted())
		return 0;
	block(&old);
	pr.slot = -1;
	if ((fd = reg_lock(1)) >= 0) {
		pr.slot = slot_take(fd);
		reg_unlock(fd);
	}
	if (pr.slot >= 0) {
		o.n = 0;
		out_down(&o, pr.slot);
		out_str(&o, "\033[2K");         /* EL 2: the whole line */
		out_up(&o, pr.slot);
		memcpy(pr.erase, o.b, o.n < sizeof pr.erase ? o.n : sizeof pr.erase);
		pr.nerase = o.n < sizeof pr.erase ? o.n : sizeof pr.erase;
		pr.p = p;
		pr.drawn = 0;
		pr.t0 = pr.last = mbx_mono();
		pr.nring = pr.iring = 0;
		sample(pr.t0);
		install_signals();
		if (!registered++)
			atexit(at_exit);
	}
	unblock(&old);
	return pr.p != NULL;
}

void
mbx_progress_tick(void)
{
	struct mbx_buf b;
	double now;

	if (!pr.p)
		return;
	now = mbx_mono();
	if (now - pr.t0 < FIRST_DRAW || now - pr.last < INTERVAL)
		return;
	pr.last = now;
	if (pr.p->fill)
		pr.p->fill(pr.p);
	if (!foreground())
		return;
	mbx_buf_init(&b, 1024);
	format(&b, now);
	sample(now);
	if (b.data)
		draw(b.data);
	mbx_buf_free(&b);
}

void
mbx_progress_end(void)
{
	sigset_t old;

	if (!pr.p)
		return;
	block(&old);
	erase_own(1);
	restore_signals();
	pr.p = NULL;
	unblock(&old);
}

void
mbx_progress_hold(FILE *f)
{
	static signed char tty[3] = { -1, -1, -1 };
	struct slot s;
	int n = fileno(f), fd, k, any = 0;

	if (held_depth++ > 0 || n < 1 || n > 2)
		return;
	if (tty[n] < 0)
		tty[n] = (signed char)isatty(n);
	if (!tty[n] || !registry() || !foreground())
		return;
	block(&held_old);
	if ((fd = reg_lock(0)) >= 0)
		for (k = 0; k < NSLOT; k++)
			any |= slot_read(fd, k, &s) == 0 && alive(s.pid) && *s.text;
	if (!any) {
		reg_unlock(fd);
		unblock(&held_old);
		return;
	}
	write_all("\r\033[J", 4);           /* ED: the region, to the end of the screen */
	held_fd = fd;
}

void
mbx_progress_release(void)
{
	int fd = held_fd;

	if (held_depth > 0 && --held_depth > 0)
		return;
	if (fd < 0)
		return;
	held_fd = -1;
	redraw_all(fd);
	close(fd);
	unblock(&held_old);
}

void
mbx_progress_folder(struct mbx_progress *p, yajl_val rec)
{
	long long n;
	const char *t = mbx_record_type(rec);

	if (t && strcmp(t, "folder") == 0 && !mbx_json_bool(rec, "removed") &&
	    mbx_json_num(rec, "totalItemCount", &n) == 0 && n > 0)
		p->total += (unsigned long long)n;
}
