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
#define NULL_FD		(WAITER_FD + SPAWN_SLOTS)	/* /dev/null */
#define CHILD_WAIT_FD	3	/* lib/rt's RT_WAIT_FD */
#define UCSPI_BYTES	512	/* the UCSPI variables of one connection */

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
	int		waiter;		/* pass the listener's waiter as fd 3 */
	/* fd, wfd still the daemon's references */
	int		held;
	int		pool;		/* fd 1: /dev/null instead of fd 0 */
	struct worker	*w;		/* being spawned; NULL: slot free */
	const struct svc_conf *sc;
	char		**envp;
	char		*stack_top;
	pid_t		parent;
	struct rlimit	nofile;		/* the worker's RLIMIT_NOFILE */
	struct rlimit	stack;		/* one-page worker: its exec stack */
	struct rlimit	data;		/* foreign worker: its memory budget */
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
	/* Told of each exec's outcome: err 0, or the failed step's errno. */
	void		(*done)(struct state *, struct worker *, int,
			    const char *);
};

enum spawn_wait { SPAWN_POLL, SPAWN_RELEASE, SPAWN_DRAIN };

/* spawn.c */
int		 spawn_init(struct state *, void (*)(struct state *,
		    struct worker *, int, const char *));
struct spawn_slot *spawn_slot(struct state *);
pid_t		 spawn_start(struct state *, struct spawn_slot *,
		    struct worker *, const struct svc_conf *, int, int);
void		 spawn_collect(struct state *, enum spawn_wait);
void		 spawn_settle(struct state *, struct worker *);

/* child.c */
int		 child_main(void *);

#endif
