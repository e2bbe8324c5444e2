/*
 * stats.h - SIGUSR1 (stats.c): the daemon's counters, in the log, and
 * the longest turn of its loop.
 */
#ifndef STATS_H
#define STATS_H

#include <ev.h>

struct state;

/* The loop's turns, from its check (woken) to its prepare (to sleep). */
struct loop_turns {
	ev_check	woke;		/* first of the turn's watchers */
	ev_prepare	sleeps;		/* last of them */
	ev_tstamp	began;		/* when this turn woke; 0: not yet */
	double		longest_s;	/* since the last stats */
};

void		 stats_init(struct state *);

#endif
