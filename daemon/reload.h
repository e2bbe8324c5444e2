/*
 * reload.h - applying a configuration (reload.c): at start, and on SIGHUP
 * as inetd does, keeping the old one when the new one cannot be had.
 */
#ifndef RELOAD_H
#define RELOAD_H

#include <ev.h>

struct conf;
struct state;

#define RELOAD_GAP_S	0.1	/* SIGHUP bursts are coalesced over this */

struct reloader {
	ev_signal	sighup;
	ev_timer	gap;		/* coalesces SIGHUP */
	ev_tstamp	last;		/* when the last reload ran */
	unsigned long	runs;		/* reloads run, failed or not */
	int		failed;		/* the last one kept the old config */
};

void		 reload_init(struct state *);
int		 reload_apply(struct state *, struct conf *);

#endif
