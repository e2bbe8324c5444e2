/*
 * table.h - the worker slots (table.c): preallocated chunks with one free
 * list, and the live ones hashed by pid for the reaper.
 */
#ifndef TABLE_H
#define TABLE_H

#include <sys/types.h>

#include "worker.h"

struct state;

struct table_chunk {
	struct table_chunk *next;
	int		n;
	struct worker	slot[];
};

struct table {
	struct table_chunk *chunks;
	struct worker	*free;		/* free list */
	int		cap;		/* slots in all chunks */
	int		used;		/* slots not free */
	/* live workers by pid, open addressing */
	struct worker	**bypid;
	unsigned	mask;		/* its size less one, a power of two */
};

int		 table_reserve(struct state *, int);
struct worker	*table_take(struct state *);
void		 table_put(struct state *, struct worker *);
void		 table_walk(struct state *, void (*)(struct state *,
		    struct worker *, void *), void *);
void		 table_add_pid(struct state *, struct worker *);
void		 table_del_pid(struct state *, struct worker *);
struct worker	*table_find_pid(struct state *, pid_t);

#endif
