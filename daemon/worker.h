/*
 * worker.h - a worker slot and its life (worker.c): start its process,
 * stop it (TERM, then KILL after the grace period), count what it did.
 */
#ifndef WORKER_H
#define WORKER_H

#include <sys/socket.h>
#include <sys/types.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <ev.h>

#include "footprint.h"

struct service;
struct state;

/*
 * A slot's life. Every slot is in exactly one state; the counts that
 * follow from them (a service's nlive and nretiring, the daemon's live)
 * are kept by worker_enter alone.
 *
 *	FREE --table_take--> WAIT <-----------------------------------+
 *	  ^                 |  | \                                     |
 *	  |    worker_free  |  |  `--pool_due--> QUEUED               |
 *	  +-----------------+  |                   |                  |
 *	                       v  worker_start     v                  |
 *	                    SPAWNING <-------------'                  |
 *	                     |     \                                  |
 *	         exec failed |      `--exec'd--> LIVE                 |
 *	                     v                    | retire_start      |
 *	                   FAILED                 v                   |
 *	                     |          RETIRING <--> HALTED          |
 *	                     |              |           |             |
 *	                     |              v worker_stop             |
 *	                     |           STOPPING                     |
 *	                     |              |                         |
 *	                     +--------------+---- reaped -------------+
 *
 * worker_stop is taken from SPAWNING, LIVE, RETIRING and HALTED alike;
 * retire_start from SPAWNING and LIVE. Every state from SPAWNING on is a
 * process not yet reaped; from RETIRING on, one told to stop. The reaper
 * brings each back to WAIT, whence the pool respawns it or it is freed.
 */
enum wstate {
	W_FREE,		/* on the table's free list */
	W_WAIT,		/* held, no process: respawn delay, or being set up */
	W_QUEUED,	/* held, no process: on the pool's spawn queue */
	W_SPAWNING,	/* cloned, not exec'd yet */
	W_LIVE,		/* exec'd */
	W_FAILED,	/* its exec failed: not a worker, exiting 127 */
	W_RETIRING,	/* pool: to stop once idle in accept (retire.c) */
	W_HALTED,	/* retiring: SIGSTOP sent, its fds being compared */
	W_STOPPING	/* TERM sent; KILL when the grace period ends */
};

/* A worker slot: 120 bytes, 10,000 of them touched at config load. */
struct worker {
	ev_timer	timer;		/* one at a time: see timer.h */
	struct service	*svc;
	struct worker	*next;		/* free list or spawn queue */
	ev_tstamp	started;	/* last spawn attempt */
	ev_tstamp	retired;	/* when told to retire */
	pid_t		pid;		/* from SPAWNING on: not reaped yet */
	unsigned	retire_fds;	/* digest of its fds when idle */
	uint32_t	source;		/* spawn mode: 1 + its source's entry */
	unsigned char	state;		/* enum wstate */
	unsigned char	spawn_slot;	/* 1 + its spawn slot: in the daemon's
					   memory still (spawn.c) */
	struct footprint fp;		/* footprint.c; zeroed by table_take */
};

/* A worker killed (SIGSEGV) sooner than this after its clone never ran. */
#define SPAWN_EARLY_S	0.1

/* A process not yet reaped, and one told to stop. */
#define WORKER_PROCESS(w)	((w)->state >= W_SPAWNING)
#define WORKER_TOLD_TO_STOP(w)	((w)->state >= W_RETIRING)

static inline struct worker *
worker_of_timer(ev_timer *t)
{
	return (struct worker *)((char *)t - offsetof(struct worker, timer));
}

struct worker	*worker_new(struct state *, struct service *);
void		 worker_free(struct state *, struct worker *);
void		 worker_enter(struct state *, struct worker *, enum wstate);
int		 worker_start(struct state *, struct worker *, int,
		    const struct sockaddr_storage *);
void		 worker_exec_done(struct state *, struct worker *, int,
		    const char *);
void		 worker_stop(struct state *, struct worker *);
void		 worker_uncharge(struct state *, struct service *);
void		 worker_signal(struct worker *, int);
void		 worker_failed(struct state *, struct service *, const char *,
		    int);
int		 worker_died_starting(struct state *, struct worker *,
		    const siginfo_t *);

#endif
