/*
 * stats.c - SIGUSR1: the daemon's counters and each service's, in the
 * log, then the footprint sampler's.
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
	    "exit-scans %lu", n->live, n->spawned, n->reaped, n->failed,
	    st->table.used, st->table.cap, st->reaper.exit_scans);
	for (svc = st->services; svc; svc = svc->next)
		log_info("stats: service '%s'%s live %d spawned %lu failed %lu",
		    svc->conf->name, svc->removed ? " (removed)" : "",
		    svc->nlive, svc->spawned, svc->failed);
	footprint_stats(st);
}

void
stats_init(struct state *st)
{
	ev_signal_init(&st->sigusr1, stats_cb, SIGUSR1);
	ev_signal_start(st->loop, &st->sigusr1);
}
