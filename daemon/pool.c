/*
 * pool.c - pool mode: keep exactly `workers` processes per service, each
 * blocked in accept on the service's listening socket. Slots due for a
 * spawn wait on a queue that an ev_check drains a batch at a time, so a
 * mass exit never stalls the loop; a slot whose worker dies within a
 * second of its start waits out that second (crash loops are slowed,
 * never disabled).
 */
#include "log.h"
#include "myriadd.h"

static void
busy_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

/* Slots held for the pool, not counting those told to stop. */
static int
pool_held(struct service *svc)
{
	return svc->nslots - svc->nretiring;
}

static void
pool_spawn(struct state *st, struct worker *w)
{
	struct service *svc = w->svc;

	if (svc->removed || st->stopping ||
	    svc->conf->mode != MODE_POOL ||
	    pool_held(svc) > svc->conf->workers) {
		worker_free(st, w);
		return;
	}
	if (worker_start(st, w, svc->lis.fd, NULL) == -1)
		worker_timer(st, w, POOL_RESPAWN_S);
}

static void
refill_cb(struct ev_loop *loop, ev_check *c, int revents)
{
	struct state *st = ev_userdata(loop);
	ev_tstamp end = ev_time() + SPAWN_BATCH_S;
	struct worker *w;
	int n;

	(void)c;
	(void)revents;
	for (n = 0; n < SPAWN_BATCH && (w = st->due) != NULL &&
	    (n % 16 != 0 || ev_time() < end); n++) {
		if ((st->due = w->next) == NULL)
			st->due_tail = NULL;
		w->next = NULL;
		w->queued = 0;
		pool_spawn(st, w);
	}
	if (st->due)
		return;
	ev_idle_stop(loop, &st->busy);
	if (!st->ready && !st->stopping) {
		/* Ready means every worker has exec'd, not only been cloned. */
		spawn_collect(st, SPAWN_DRAIN);
		st->ready = 1;
		notify_ready(st);
	}
}

void
pool_init(struct state *st)
{
	ev_check_init(&st->refill, refill_cb);
	ev_check_start(st->loop, &st->refill);
	ev_idle_init(&st->busy, busy_cb);
	/* Turn once without blocking, to say ready. */
	ev_idle_start(st->loop, &st->busy);
}

/* Queue w for a spawn in the next loop iterations. */
void
pool_due(struct state *st, struct worker *w)
{
	if (w->queued)
		return;
	w->queued = 1;
	w->next = NULL;
	if (st->due_tail)
		st->due_tail->next = w;
	else
		st->due = w;
	st->due_tail = w;
	ev_idle_start(st->loop, &st->busy);
}

/* Take slots until the pool holds `workers`; they spawn from the queue. */
void
pool_fill(struct state *st, struct service *svc)
{
	struct worker *w;

	while (pool_held(svc) < svc->conf->workers) {
		if ((w = worker_new(st, svc)) == NULL)
			return;
		pool_due(st, w);
	}
}

/* A pool worker was reaped: respawn it, at most once a second. */
void
pool_exited(struct state *st, struct worker *w, int retired)
{
	struct service *svc = w->svc;
	double delay;

	if (retired || pool_held(svc) > svc->conf->workers) {
		worker_free(st, w);
		return;
	}
	delay = w->started + POOL_RESPAWN_S - ev_now(st->loop);
	if (delay <= 0)
		pool_due(st, w);
	else
		worker_timer(st, w, delay);
}

struct retire {
	struct service	*svc;
	int		n;	/* how many more to stop */
};

static void
retire_one(struct state *st, struct worker *w, void *arg)
{
	struct retire *r = arg;

	if (r->n > 0 && w->svc == r->svc && w->state == W_LIVE &&
	    !w->stopping) {
		worker_retire(st, w);
		r->n--;
	}
}

/* Stop live workers beyond the pool's size; waiting slots lapse by then. */
void
pool_shrink(struct state *st, struct service *svc)
{
	struct retire r;

	r.svc = svc;
	r.n = pool_held(svc) - svc->conf->workers - (svc->nslots - svc->nlive);
	if (r.n > 0)
		table_walk(st, retire_one, &r);
}

/* Stop every live worker of svc. */
void
pool_stop(struct state *st, struct service *svc)
{
	struct retire r;

	r.svc = svc;
	r.n = svc->nlive;
	table_walk(st, retire_one, &r);
}
