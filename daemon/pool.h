/*
 * pool.h - pool mode (pool.c): keep exactly `workers` processes a service,
 * spawned from a queue a batch at a time.
 */
#ifndef POOL_H
#define POOL_H

#include <ev.h>

struct service;
struct state;
struct worker;

#define POOL_RESPAWN_S	1.0	/* at most one spawn per pool slot per second */
#define SPAWN_BATCH	256	/* pool spawns per loop iteration, at most */
#define SPAWN_BATCH_S	0.002	/* and for as long: the loop serves between */

/* Slots due for a spawn, oldest first. */
struct pool_queue {
	struct worker	*head;
	struct worker	*tail;
	ev_check	refill;		/* spawns a batch of them */
	ev_idle		busy;		/* keeps the loop turning meanwhile */
};

void		 pool_init(struct state *);
int		 pool_pending(struct state *);
void		 pool_fill(struct state *, struct service *);
void		 pool_shrink(struct state *, struct service *);
void		 pool_stop(struct state *, struct service *);
void		 pool_drop(struct state *, struct service *);
int		 pool_respawn(struct state *, struct worker *, int);

#endif
