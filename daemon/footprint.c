/*
 * footprint.c - what every worker costs. A timer walks the worker table a
 * few milliseconds at a time and reads each live worker's smaps_rollup
 * (Rss, Pss, Private_*: the kernel's own figures, which statm cannot give);
 * status (VmPTE) and maps (VMAs) only when those changed or are old.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "myriadd.h"

#define SWEEP_TICK_S	0.005	/* between two batches */
#define SWEEP_HURRY_S	0.001	/* the same, when a client waits */
#define SWEEP_BUDGET_S	0.004	/* longest batch */
#define SWEEP_CHECK	8	/* workers between two looks at the clock */
#define SWEEP_WATCHED_S	1.0	/* a sweep a second while watched */
#define SWEEP_IDLE_S	10.0	/* otherwise one every ten seconds */
#define WATCH_S		60.0	/* watched: figures asked for since */
#define FRESH_S		1.5	/* sweeps this recent are answered from */
#define DETAIL_MAX_S	30.0	/* status and maps re-read at least this often */
#define SETTLE_S	0.2	/* a worker younger than this is still starting */
#define PROC_BUF	4096

/* The number after "\nKEY" (KEY ends with ':'), 0 if absent. */
static unsigned
field(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	return p ? (unsigned)strtoul(p + strlen(key), NULL, 10) : 0;
}

/* Lines of /proc/PID/maps, read in pieces: a foreign worker may have many. */
static int
maps_count(pid_t pid, int vsyscall)
{
	char path[PROC_PATH_MAX], buf[PROC_BUF];
	ssize_t n, i;
	int fd, lines = 0;

	proc_path(path, pid, "maps");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	(void)close(fd);
	return n == -1 ? -1 : lines - (lines > 0 ? vsyscall : 0);
}

/* Rss, Pss and private kB from smaps_rollup; -1 if the worker is gone. */
static int
rollup_read(pid_t pid, unsigned kb[3])
{
	char buf[PROC_BUF];

	/* A zombie has no mm left: the read is empty, it is reaped soon. */
	if (proc_read(pid, "smaps_rollup", buf, sizeof(buf)) == -1)
		return -1;
	kb[0] = field(buf, "\nRss:");
	kb[1] = field(buf, "\nPss:");
	kb[2] = field(buf, "\nPrivate_Clean:") + field(buf, "\nPrivate_Dirty:");
	return 0;
}

/* Page tables and mappings: they change only with the pages mapped. */
static int
tables_read(pid_t pid, struct footprint *f, int vsyscall)
{
	char buf[PROC_BUF];
	int vmas;

	if (proc_read(pid, "status", buf, sizeof(buf)) == -1 ||
	    (vmas = maps_count(pid, vsyscall)) == -1)
		return -1;
	f->pte_kb = field(buf, "\nVmPTE:");
	f->vmas = (unsigned)vmas;
	return 0;
}

/* Look at one live worker; a pid that died meanwhile keeps what it had. */
static void
sample(struct sampler *s, struct worker *w, ev_tstamp now)
{
	struct footprint *f = &w->fp;
	unsigned kb[3];

	/* Mid-exec figures are the daemon's, then the kernel-made stack's. */
	if (now - w->started < SETTLE_S || rollup_read(w->pid, kb) == -1)
		return;
	if (f->detailed == 0 || kb[0] != f->rss_kb || kb[2] != f->priv_kb ||
	    now - f->detailed > DETAIL_MAX_S) {
		if (tables_read(w->pid, f, s->vsyscall) == -1)
			return;
		f->detailed = now;
		s->details++;
	}
	f->rss_kb = kb[0];
	f->pss_kb = kb[1];
	f->priv_kb = kb[2];
	f->sampled = now;
	s->sampled++;
}

/* Move the cursor until the budget is spent; 1 when the sweep is done. */
static int
sweep_batch(struct state *st, ev_tstamp now)
{
	struct sampler *s = &st->sampler;
	ev_tstamp deadline = ev_time() + SWEEP_BUDGET_S;
	struct worker *w;
	int n = 0;

	while (s->chunk != NULL) {
		if (s->index == s->chunk->n) {
			s->chunk = s->chunk->next;
			s->index = 0;
			continue;
		}
		w = &s->chunk->slot[s->index++];
		if (w->state != W_LIVE)
			continue;
		sample(s, w, now);
		if (++n % SWEEP_CHECK == 0 && ev_time() > deadline)
			return 0;
	}
	return 1;
}

static void
arm(struct state *st, double after)
{
	ev_timer_stop(st->loop, &st->sampler.tick);
	ev_timer_set(&st->sampler.tick, after > 0 ? after : 0, 0);
	ev_timer_start(st->loop, &st->sampler.tick);
}

static double
period(struct state *st)
{
	return ev_now(st->loop) - st->sampler.watched < WATCH_S ?
	    SWEEP_WATCHED_S : SWEEP_IDLE_S;
}

static void
sweep_start(struct state *st)
{
	struct sampler *s = &st->sampler;

	s->running = 1;
	s->started = ev_now(st->loop);
	s->chunk = st->table.chunks;
	s->index = 0;
	s->sampled = s->details = 0;
}

static void
sweep_end(struct state *st)
{
	struct sampler *s = &st->sampler;

	s->running = 0;
	s->hurry = 0;
	s->swept = s->started;
	s->sweep_s = ev_time() - s->started;
	s->last_sampled = s->sampled;
	s->last_details = s->details;
	s->sweeps++;
	arm(st, s->swept + period(st) - ev_now(st->loop));
	control_swept(st);
}

static void
tick_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct state *st = ev_userdata(loop);
	struct sampler *s = &st->sampler;
	ev_tstamp begin, wait;

	(void)t;
	(void)revents;
	if (!s->running) {
		wait = s->swept + period(st) - ev_now(loop);
		if (wait > 0 && !s->hurry) {
			arm(st, wait);
			return;
		}
		sweep_start(st);
	}
	begin = ev_time();
	if (sweep_batch(st, ev_now(loop)))
		sweep_end(st);
	else
		arm(st, s->hurry ? SWEEP_HURRY_S : SWEEP_TICK_S);
	if (ev_time() - begin > s->tick_max_s)
		s->tick_max_s = ev_time() - begin;
}

void
footprint_init(struct state *st)
{
	struct sampler *s = &st->sampler;
	char buf[PROC_BUF];
	int fd;
	ssize_t n;

	memset(s, 0, sizeof(*s));
	/* [vsyscall] is listed by every process, or by none. */
	if ((fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)) != -1) {
		while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
			buf[n] = '\0';
			if (strstr(buf, "[vsyscall]"))
				s->vsyscall = 1;
		}
		(void)close(fd);
	}
	s->swept = -SWEEP_IDLE_S;
	ev_init(&s->tick, tick_cb);
	arm(st, 0);
}

/* The latest time an unsampled live worker will have settled, or 0. */
static void
latest_settled(struct state *st, struct worker *w, void *arg)
{
	ev_tstamp *latest = arg;

	(void)st;
	if (w->state == W_LIVE && w->fp.sampled == 0 &&
	    w->started + SETTLE_S > *latest)
		*latest = w->started + SETTLE_S;
}

/*
 * The start of the sweep a request made now must be answered from: a
 * recent one, or, if a live worker was never sampled, one that starts
 * once it has settled. O(table), without a system call.
 */
ev_tstamp
footprint_need(struct state *st)
{
	ev_tstamp now = ev_now(st->loop), latest = 0;

	table_walk(st, latest_settled, &latest);
	if (latest == 0)
		return now - FRESH_S;
	return latest > now ? latest : now;
}

/* Is there a complete sweep started at need or later? */
int
footprint_fresh(struct state *st, ev_tstamp need)
{
	return st->sampler.swept >= need;
}

/* A client waits for need: sweep every second for a while, now if due. */
void
footprint_want(struct state *st, ev_tstamp need)
{
	struct sampler *s = &st->sampler;

	s->watched = ev_now(st->loop);
	if (footprint_fresh(st, need))
		return;
	s->hurry = 1;
	if (!s->running)
		arm(st, 0);
}

static void
sum_add(struct fp_sum *sum, const struct footprint *f)
{
	sum->workers++;
	sum->priv += (long long)f->priv_kb * 1024;
	sum->pss += (long long)f->pss_kb * 1024;
	sum->rss += (long long)f->rss_kb * 1024;
	sum->pte += (long long)f->pte_kb * 1024;
}

static void
sum_worker(struct state *st, struct worker *w, void *arg)
{
	(void)st;
	if (w->state != W_LIVE)
		return;
	sum_add(&w->svc->fp, &w->fp);
	sum_add(arg, &w->fp);
}

/* Sum the last figures into every service and into total: O(table). */
void
footprint_sum(struct state *st, struct fp_sum *total)
{
	struct service *svc;

	memset(total, 0, sizeof(*total));
	for (svc = st->services; svc; svc = svc->next)
		memset(&svc->fp, 0, sizeof(svc->fp));
	table_walk(st, sum_worker, total);
}

void
footprint_stats(struct state *st)
{
	struct sampler *s = &st->sampler;

	log_info("stats: footprints: %ld sweeps, the last %.1f ms for %ld "
	    "workers (%ld detailed), longest batch %.2f ms", s->sweeps,
	    s->sweep_s * 1e3, s->last_sampled, s->last_details,
	    s->tick_max_s * 1e3);
	s->tick_max_s = 0;
}
