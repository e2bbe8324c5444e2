/*
 * pool.c - pool mode: keep exactly `workers` processes per service, each
 * waiting for a connection on the service's listening socket. Slots due
 * for a spawn wait on a queue that an ev_check drains a batch at a time,
 * so a mass exit never stalls the loop; a slot whose worker dies within a
 * second of its start waits out that second (crash loops are slowed,
 * never disabled).
 */
#include "conf.h"
#include "log.h"
#include "pool.h"
#include "retire.h"
#include "service.h"
#include "state.h"
#include "table.h"
#include "timer.h"
#include "worker.h"

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

/* Queue w for a spawn in the next loop iterations. */
static void
pool_due(struct state *st, struct worker *w)
{
	struct pool_queue *q = &st->pool;

	if (w->state == W_QUEUED)
		return;
	worker_enter(st, w, W_QUEUED);
	w->next = NULL;
	if (q->tail)
		q->tail->next = w;
	else
		q->head = w;
	q->tail = w;
	ev_idle_start(st->loop, &q->busy);
}

/* The respawn delay is over. */
static void
delay_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)revents;
	pool_due(ev_userdata(loop), worker_of_timer(t));
}

/*
 * A queued slot's turn. Removed services and a stopping daemon have no
 * slot on the queue (pool_drop); a shrunk pool frees what it no longer
 * holds.
 */
static void
pool_spawn(struct state *st, struct worker *w)
{
	struct service *svc = w->svc;

	worker_enter(st, w, W_WAIT);
	if (pool_held(svc) > service_workers(svc)) {
		worker_free(st, w);
		return;
	}
	if (worker_start(st, w, svc->lis.fd, NULL) == -1)
		timer_arm(st->loop, &w->timer, delay_cb, POOL_RESPAWN_S);
}

static void
refill_cb(struct ev_loop *loop, ev_check *c, int revents)
{
	struct state *st = ev_userdata(loop);
	struct pool_queue *q = &st->pool;
	ev_tstamp end = ev_time() + SPAWN_BATCH_S;
	struct worker *w;
	int n;

	(void)c;
	(void)revents;
	for (n = 0; n < SPAWN_BATCH && (w = q->head) != NULL &&
	    (n % 16 != 0 || ev_time() < end); n++) {
		if ((q->head = w->next) == NULL)
			q->tail = NULL;
		w->next = NULL;
		pool_spawn(st, w);
	}
	if (q->head == NULL)
		ev_idle_stop(loop, &q->busy);
}

void
pool_init(struct state *st)
{
	struct pool_queue *q = &st->pool;

	ev_check_init(&q->refill, refill_cb);
	ev_check_start(st->loop, &q->refill);
	ev_idle_init(&q->busy, busy_cb);
	/* Turn once without blocking, to say ready. */
	ev_idle_start(st->loop, &q->busy);
}

/* Slots still to spawn: none means every pool has its processes. */
int
pool_pending(struct state *st)
{
	return st->pool.head != NULL;
}

/* Take slots until the pool holds `workers`; they spawn from the queue. */
void
pool_fill(struct state *st, struct service *svc)
{
	struct worker *w;

	while (pool_held(svc) < service_workers(svc)) {
		if ((w = worker_new(st, svc)) == NULL)
			return;
		pool_due(st, w);
	}
}

/*
 * A pool worker was reaped: respawn it, at most once a second. Returns 0
 * if the pool no longer wants the slot: the caller frees it.
 */
int
pool_respawn(struct state *st, struct worker *w, int retired)
{
	struct service *svc = w->svc;
	double delay;

	if (retired || pool_held(svc) > service_workers(svc))
		return 0;
	delay = w->started + POOL_RESPAWN_S - ev_now(st->loop);
	if (delay <= 0)
		pool_due(st, w);
	else
		timer_arm(st->loop, &w->timer, delay_cb, delay);
	return 1;
}

struct retire {
	struct service	*svc;
	int		n;	/* how many more to stop */
};

static void
retire_one(struct state *st, struct worker *w, void *arg)
{
	struct retire *r = arg;

	if (r->n > 0 && w->svc == r->svc &&
	    (w->state == W_SPAWNING || w->state == W_LIVE)) {
		retire_start(st, w);
		r->n--;
	}
}

/* Stop live workers beyond the pool's size; waiting slots lapse by then. */
void
pool_shrink(struct state *st, struct service *svc)
{
	struct retire r;

	r.svc = svc;
	r.n = pool_held(svc) - service_workers(svc) - (svc->nslots - svc->nlive);
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

static void
drop_one(struct state *st, struct worker *w, void *arg)
{
	if (w->svc == arg && w->state == W_WAIT)
		worker_free(st, w);
}

/*
 * Free every slot of svc that waits for a spawn, queued or delayed: the
 * service is going, or the daemon is. O(queue + table).
 */
void
pool_drop(struct state *st, struct service *svc)
{
	struct pool_queue *q = &st->pool;
	struct worker **pp, *w;

	q->tail = NULL;
	for (pp = &q->head; (w = *pp) != NULL; ) {
		if (w->svc != svc) {
			q->tail = w;
			pp = &w->next;
			continue;
		}
		*pp = w->next;
		w->next = NULL;
		worker_enter(st, w, W_WAIT);
	}
	table_walk(st, drop_one, svc);
}
