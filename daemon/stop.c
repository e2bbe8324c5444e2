/*
 * stop.c - SIGTERM and SIGINT: close every listener, TERM every worker,
 * KILL those left after the grace period, and leave the loop once the
 * last one is reaped.
 */
#include <signal.h>

#include "control/control.h"
#include "listen.h"
#include "log.h"
#include "pool.h"
#include "service.h"
#include "state.h"
#include "stop.h"
#include "table.h"
#include "worker.h"

static void
stop_worker(struct state *st, struct worker *w, void *arg)
{
	(void)arg;
	worker_stop(st, w);
}

void
stop_check(struct state *st)
{
	if (st->stopping && st->counts.live == 0)
		ev_break(st->loop, EVBREAK_ALL);
}

static void
stop_cb(struct ev_loop *loop, ev_signal *sig, int revents)
{
	struct state *st = ev_userdata(loop);
	struct service *svc;

	(void)revents;
	if (st->stopping)
		return;
	st->stopping = 1;
	log_info("stopping on signal %d: %d workers", sig->signum,
	    st->counts.live);
	ev_timer_stop(loop, &st->reloader.gap);
	control_close(st);
	for (svc = st->services; svc; svc = svc->next) {
		listen_close(st, svc);
		pool_drop(st, svc);
	}
	table_walk(st, stop_worker, NULL);
	stop_check(st);
}

void
stop_init(struct state *st)
{
	struct stopper *s = &st->stopper;

	ev_signal_init(&s->sigterm, stop_cb, SIGTERM);
	ev_signal_start(st->loop, &s->sigterm);
	ev_signal_init(&s->sigint, stop_cb, SIGINT);
	ev_signal_start(st->loop, &s->sigint);
}
