/*
 * stats.c - SIGUSR1: the daemon's counters and each service's, in the
 * log, then the footprint sampler's; and the loop's longest turn since
 * the last such line, timed from the first watcher of a turn to the last
 * (an ev_check of the highest priority, an ev_prepare of the lowest), so
 * that it holds everything the loop did between two waits.
 */
#include <signal.h>

#include "conf.h"
#include "footprint.h"
#include "log.h"
#include "service.h"
#include "state.h"
#include "stats.h"

static void
stats_cb(struct ev_loop *loop, ev_signal *sig, int revents)
{
	struct state *st = ev_userdata(loop);
	const struct counts *n = &st->counts;
	struct service *svc;

	(void)sig;
	(void)revents;
	log_info("stats: live %d spawned %lu reaped %lu failed %lu slots %d/%d "
	    "exit-scans %lu, longest loop turn %.2f ms", n->live, n->spawned,
	    n->reaped, n->failed, st->table.used, st->table.cap,
	    st->reaper.exit_scans, st->turns.longest_s * 1e3);
	st->turns.longest_s = 0;
	for (svc = st->services; svc; svc = svc->next)
		log_info("stats: service '%s'%s live %d spawned %lu failed %lu",
		    svc->conf->name, svc->removed ? " (removed)" : "",
		    svc->nlive, svc->spawned, svc->failed);
	footprint_stats(st);
}

static void
woke_cb(struct ev_loop *loop, ev_check *c, int revents)
{
	struct state *st = ev_userdata(loop);

	(void)c;
	(void)revents;
	st->turns.began = ev_time();
}

static void
sleeps_cb(struct ev_loop *loop, ev_prepare *p, int revents)
{
	struct loop_turns *t = &((struct state *)ev_userdata(loop))->turns;
	double took;

	(void)p;
	(void)revents;
	if (t->began == 0)
		return;
	if ((took = ev_time() - t->began) > t->longest_s)
		t->longest_s = took;
}

void
stats_init(struct state *st)
{
	struct loop_turns *t = &st->turns;

	ev_signal_init(&st->sigusr1, stats_cb, SIGUSR1);
	ev_signal_start(st->loop, &st->sigusr1);
	ev_check_init(&t->woke, woke_cb);
	ev_set_priority(&t->woke, EV_MAXPRI);
	ev_check_start(st->loop, &t->woke);
	ev_prepare_init(&t->sleeps, sleeps_cb);
	ev_set_priority(&t->sleeps, EV_MINPRI);
	ev_prepare_start(st->loop, &t->sleeps);
}
