/*
 * footprint.c - what every worker costs. A sweep moves a cursor through
 * the worker table, hands the sampler threads (sampler.c) a batch of
 * live, settled workers at a time and writes back what they read, if the
 * slot still holds the same process. A sweep runs only when figures are
 * asked for and the last complete one is older than FRESH_S: the daemon
 * reads nothing while nobody looks.
 */
#include <string.h>

#include "footprint.h"
#include "log.h"
#include "service.h"
#include "state.h"
#include "table.h"
#include "timer.h"
#include "worker.h"

#define FRESH_S		1.5	/* sweeps this recent are answered from */
/* status and maps re-read at least this often */
#define DETAIL_MAX_S	30.0
/* a worker younger than this is still starting */
#define SETTLE_S	0.2

/* Fill a batch from the cursor; the number of items. */
static int
batch_fill(struct state *st, struct fp_batch *b, ev_tstamp now)
{
	struct sampler *s = &st->sampler;
	struct fp_item *it;
	struct worker *w;
	int n = 0;

	while (s->chunk != NULL && n < FP_BATCH) {
		if (s->index == s->chunk->n) {
			s->chunk = s->chunk->next;
			s->index = 0;
			continue;
		}
		w = &s->chunk->slot[s->index++];
		/* Mid-exec figures are the daemon's, then the kernel's. */
		if (!WORKER_PROCESS(w) || w->spawn_slot ||
		    now - w->started < SETTLE_S)
			continue;
		it = &b->item[n++];
		it->w = w;
		it->pid = w->pid;
		it->detail = !w->fp.sampled ||
		    now - w->fp.detailed_s > DETAIL_MAX_S;
		it->rss_kb = w->fp.rss_kb;
		it->priv_kb = w->fp.priv_kb;
	}
	return b->nitems = n;
}

/* Take a batch's figures; a pid that died meanwhile keeps its old ones. */
static void
batch_apply(struct state *st, struct fp_batch *b, ev_tstamp now)
{
	struct sampler *s = &st->sampler;
	const struct fp_item *it;
	struct footprint *f;
	int i;

	for (i = 0; i < b->nitems; i++) {
		it = &b->item[i];
		if (!it->ok || !WORKER_PROCESS(it->w) || it->w->pid != it->pid)
			continue;
		f = &it->w->fp;
		if (it->detail) {
			f->pte_kb = it->pte_kb;
			f->vmas = it->vmas;
			f->detailed_s = (unsigned)now;
			s->details++;
		}
		f->rss_kb = it->rss_kb;
		f->pss_kb = it->pss_kb;
		f->priv_kb = it->priv_kb;
		f->sampled = 1;
		s->sampled++;
	}
}

static void
sweep_end(struct state *st)
{
	struct sampler *s = &st->sampler;

	s->running = 0;
	s->swept = s->started;
	s->sweep_s = ev_time() - s->started;
	s->last_sampled = s->sampled;
	s->last_details = s->details;
	s->sweeps++;
	if (s->swept_cb)
		s->swept_cb(st);
}

/* The next batch to each idle thread, or the end of the sweep. */
static void
sweep_next(struct state *st)
{
	struct sampler *s = &st->sampler;
	ev_tstamp begin = ev_time();
	int i, busy = 0;

	for (i = 0; i < SAMPLER_THREADS; i++) {
		if (!s->batch[i].busy &&
		    batch_fill(st, &s->batch[i], ev_now(st->loop)) > 0)
			sampler_post(&s->batch[i]);
		busy += s->batch[i].busy;
	}
	if (busy == 0)
		sweep_end(st);
	if (ev_time() - begin > s->stall_max_s)
		s->stall_max_s = ev_time() - begin;
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
	sweep_next(st);
}

static void
done_cb(struct ev_loop *loop, ev_async *a, int revents)
{
	struct state *st = ev_userdata(loop);
	struct sampler *s = &st->sampler;
	ev_tstamp begin = ev_time();
	struct fp_batch *b;
	int i;

	(void)a;
	(void)revents;
	for (i = 0; i < SAMPLER_THREADS; i++) {
		b = &s->batch[i];
		if (!__atomic_load_n(&b->done, __ATOMIC_ACQUIRE))
			continue;
		b->done = 0;
		b->busy = 0;
		batch_apply(st, b, ev_now(loop));
	}
	if (ev_time() - begin > s->stall_max_s)
		s->stall_max_s = ev_time() - begin;
	if (s->running)
		sweep_next(st);
}

static void
tick_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct state *st = ev_userdata(loop);

	(void)t;
	(void)revents;
	if (!st->sampler.running)
		sweep_start(st);
}

void
footprint_init(struct state *st)
{
	struct sampler *s = &st->sampler;

	memset(s, 0, sizeof(*s));
	s->swept = -FRESH_S;
	ev_init(&s->tick, tick_cb);
	ev_async_init(&s->done, done_cb);
	ev_async_start(st->loop, &s->done);
	sampler_start(s, st->loop);
}

/* fn is called at the end of every sweep (the control socket's). */
void
footprint_on_sweep(struct state *st, void (*fn)(struct state *))
{
	st->sampler.swept_cb = fn;
}

/* The latest time an unsampled live worker will have settled, or 0. */
static void
latest_settled(struct state *st, struct worker *w, void *arg)
{
	ev_tstamp *latest = arg;

	(void)st;
	if (WORKER_PROCESS(w) && !w->fp.sampled &&
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

/* A client waits for a sweep started at need or later: start one. */
void
footprint_want(struct state *st, ev_tstamp need)
{
	struct sampler *s = &st->sampler;

	if (footprint_fresh(st, need) || s->running)
		return;
	/* A sweep started before need would not do: start it then. */
	timer_arm(st->loop, &s->tick, tick_cb, need - ev_now(st->loop));
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
	if (!WORKER_PROCESS(w))
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
	    "workers (%ld detailed), its longest callback %.2f ms", s->sweeps,
	    s->sweep_s * 1e3, s->last_sampled, s->last_details,
	    s->stall_max_s * 1e3);
	s->stall_max_s = 0;
}
