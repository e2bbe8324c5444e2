/*
 * stats.h - SIGUSR1 (stats.c): the daemon's counters, in the log.
 */
#ifndef STATS_H
#define STATS_H

struct state;

void		 stats_init(struct state *);

#endif
