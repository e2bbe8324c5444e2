/*
 * stop.h - SIGTERM and SIGINT (stop.c): stop accepting, stop every worker,
 * leave the loop once the last one is reaped.
 */
#ifndef STOP_H
#define STOP_H

#include <ev.h>

struct state;

struct stopper {
	ev_signal	sigterm;
	ev_signal	sigint;
};

void		 stop_init(struct state *);
void		 stop_check(struct state *);

#endif
