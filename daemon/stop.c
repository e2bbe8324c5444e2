/*
 * stop.c - SIGTERM and SIGINT: close every listener, TERM every worker,
 * KILL those left after the grace period, and leave the loop once the
 * last one is reaped. SIGUSR1 logs the counters.
 */
#include <signal.h>

#include "log.h"
#include "myriadd.h"

static void
stop_worker(struct state *st, struct worker *w, void *arg)
{
	(void)arg;
	if (w->state == W_LIVE)
		worker_stop(st, w);
	else if (!w->queued)
		worker_free(st, w);
}

void
stop_check(struct state *st)
{
	if (st->stopping && st->live == 0)
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
	log_info("stopping on signal %d: %d workers", sig->signum, st->live);
	ev_timer_stop(loop, &st->reload);
	control_close(st);
	for (svc = st->services; svc; svc = svc->next)
		listen_close(st, svc);
	table_walk(st, stop_worker, NULL);
	stop_check(st);
}

static void
stats_cb(struct ev_loop *loop, ev_signal *sig, int revents)
{
	struct state *st = ev_userdata(loop);
	struct service *svc;

	(void)sig;
	(void)revents;
	log_info("stats: live %d spawned %lu reaped %lu failed %lu slots %d/%d "
	    "exit-scans %lu", st->live, st->spawned, st->reaped, st->failed,
	    st->table.used, st->table.cap, st->exit_scans);
	for (svc = st->services; svc; svc = svc->next)
		log_info("stats: service '%s'%s live %d spawned %lu failed %lu",
		    svc->conf->name, svc->removed ? " (removed)" : "",
		    svc->nlive, svc->spawned, svc->failed);
	footprint_stats(st);
}

void
stop_init(struct state *st)
{
	ev_signal_init(&st->sigterm, stop_cb, SIGTERM);
	ev_signal_start(st->loop, &st->sigterm);
	ev_signal_init(&st->sigint, stop_cb, SIGINT);
	ev_signal_start(st->loop, &st->sigint);
	ev_signal_init(&st->sigusr1, stats_cb, SIGUSR1);
	ev_signal_start(st->loop, &st->sigusr1);
}
