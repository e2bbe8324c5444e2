/*
 * reap.h - reaping exactly the workers that exited (reap.c), told by the
 * kernel's exit events (exitev.c), or by SIGCHLD without them.
 */
#ifndef REAP_H
#define REAP_H

#include <sys/types.h>
#include <ev.h>

struct state;

#define REAP_SWEEP_S	5.0	/* look for exits whose event was lost */
#define EXITS_BATCHES	8	/* exit event reads per wakeup */

struct reaper {
	ev_io		exits;		/* exit events readable */
	/* without exit events: scan on SIGCHLD */
	ev_signal	sigchld;
	ev_timer	sweep;		/* with them: a scan now and then */
	/* scans that found what events missed */
	unsigned long	exit_scans;
};

/* reap.c */
void		 reap_init(struct state *);

/* exitev.c */
int		 exitev_open(void);
int		 exitev_read(int, pid_t, void (*)(void *, pid_t), void *);

#endif
