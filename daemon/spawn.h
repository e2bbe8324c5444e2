/*
 * spawn.h - starting workers without waiting for their exec (spawn.c),
 * the cloned child's steps (child.c) and the fds they hand over.
 */
#ifndef SPAWN_H
#define SPAWN_H

#include <sys/resource.h>
#include <sys/types.h>
#include <ev.h>

#include "conf.h"

struct state;
struct worker;

/*
 * The daemon's low fds: per spawn slot the fd that becomes the child's fd
 * 0 and the one that becomes its fd 3, then /dev/null; a child keeps fds
 * up to NULL_FD only, so its fd table is the 64-slot one however many
 * fds the daemon holds.
 */
#define SPAWN_SLOTS	16	/* spawns in flight: cloned, not yet exec'd */
#define HANDOVER_FD	3	/* fds 3 to 3 + SPAWN_SLOTS - 1: one a slot */
#define WAITER_FD	(HANDOVER_FD + SPAWN_SLOTS)	/* the same, fd 3 */
#define STDERR_FD	(WAITER_FD + SPAWN_SLOTS)	/* the same, fd 2 */
#define NULL_FD		(STDERR_FD + SPAWN_SLOTS)	/* /dev/null */
#define CHILD_WAIT_FD	3	/* lib/rt's RT_WAIT_FD */
#define UCSPI_BYTES	512	/* the UCSPI variables of one connection */

/*
 * No wait in the loop is unbounded: a child not exec'd SPAWN_DEADLINE_S
 * after its clone (stopped, or its exec blocked on a hung mount) is
 * killed and its spawn failed; its slot stays reserved until the kernel
 * says it is gone. The daemon waits for a child at most SPAWN_WAIT_S at
 * once, and only for one younger than SPAWN_YOUNG_S, polled every
 * SPAWN_POLL_S (older ones every SPAWN_SLOW_POLL_S) while any is in flight.
 */
#define SPAWN_DEADLINE_S	2.0
#define SPAWN_WAIT_S		0.001
#define SPAWN_YOUNG_S		0.02
#define SPAWN_POLL_S		0.001
#define SPAWN_SLOW_POLL_S	0.05

/*
 * One spawn in flight. The child runs on the slot's stack in the daemon's
 * memory until it has exec'd, reading only this.
 */
enum { SLOT_GONE, SLOT_CLONED, SLOT_UNSHARED };

struct spawn_slot {
	/* futex: SLOT_*; the kernel writes GONE */
	int		phase;
	/* HANDOVER_FD + index: the child's fd 0 */
	int		fd;
	/* WAITER_FD + index: its fd 3, if waiter */
	int		wfd;
	/* STDERR_FD + index: its fd 2 */
	int		efd;
	int		waiter;		/* pass the listener's waiter as fd 3 */
	/* fd, wfd still the daemon's references */
	int		held;
	int		pool;		/* fd 1: /dev/null instead of fd 0 */
	struct worker	*w;		/* being spawned; NULL: slot free */
	pid_t		pid;		/* its child, not reaped while w */
	ev_tstamp	cloned;		/* when */
	int		killed;		/* at the deadline */
	const struct svc_conf *sc;
	char		**envp;
	char		*stack_top;
	pid_t		parent;
	struct rlimit	nofile;		/* the worker's RLIMIT_NOFILE */
	struct rlimit	stack;		/* one-page worker: its exec stack */
	struct rlimit	data;		/* its price, or memory budget */
	struct rlimit	as;		/* one-page worker: its ELF's span */
	int		err;		/* written by the child on failure */
	const char	*step;		/* the step that failed */
	/* spawn mode: its environment */
	char		*env[ENV_MAX + 16];
	/* and the UCSPI variables' text */
	char		ucspi[UCSPI_BYTES];
};

struct spawner {
	struct spawn_slot slot[SPAWN_SLOTS];	/* shared with the children */
	int		next;		/* the slot to try first */
	int		busy;		/* slots with a worker */
	/* the slots' stacks, guard pages between */
	char		*stacks;
	size_t		stacks_len;
	/* no connection held while the loop sleeps */
	ev_prepare	release;
	/* while slots are in flight: collect them, kill the overdue */
	ev_timer	tick;
	/* configs replaced while a child in flight read them */
	struct svc_conf	*retired[SPAWN_SLOTS];
	int		nretired;
	/* Told of each exec's outcome: err 0, or the failed step's errno. */
	void		(*done)(struct state *, struct worker *, int,
			    const char *);
};

enum spawn_wait { SPAWN_POLL, SPAWN_RELEASE };

/* spawn.c */
int		 spawn_init(struct state *, void (*)(struct state *,
		    struct worker *, int, const char *));
struct spawn_slot *spawn_slot(struct state *);
/* What a worker's fds 0 (and 1), 2 and 3 are made of; -1: none. */
struct spawn_fds {
	int		conn;		/* the connection, or a pool's listener */
	int		waiter;		/* a one-page pool's waiter, as fd 3 */
	int		err;		/* its stderr: the service's log socket */
};

pid_t		 spawn_start(struct state *, struct spawn_slot *,
		    struct worker *, const struct svc_conf *,
		    const struct spawn_fds *);
void		 spawn_collect(struct state *, enum spawn_wait);
void		 spawn_settle(struct state *, struct worker *);
void		 spawn_conf_free(struct state *, struct svc_conf *);

/* child.c */
int		 child_main(void *);

#endif
