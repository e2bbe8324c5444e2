/*
 * table.c - the worker slots: preallocated chunks and one free list, so
 * that taking and returning a slot on the accept -> spawn -> reap path
 * never allocates. The table grows only when a config is loaded.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "myriadd.h"

/* Make room for n slots in use at once; -1 if out of memory. */
int
table_reserve(struct state *st, int n)
{
	struct table *t = &st->table;
	struct table_chunk *c;
	int add, i;

	if (n <= t->cap)
		return 0;
	add = n - t->cap;
	if ((c = calloc(1, sizeof(*c) + (size_t)add * sizeof(c->slot[0])))
	    == NULL)
		return -1;
	c->n = add;
	c->next = t->chunks;
	t->chunks = c;
	for (i = add - 1; i >= 0; i--) {
		c->slot[i].state = W_FREE;
		c->slot[i].next = t->free;
		t->free = &c->slot[i];
	}
	t->cap = n;
	return 0;
}

struct worker *
table_take(struct state *st)
{
	struct table *t = &st->table;
	struct worker *w;

	if ((w = t->free) == NULL)
		return NULL;
	t->free = w->next;
	t->used++;
	memset(w, 0, sizeof(*w));
	w->state = W_WAIT;
	return w;
}

void
table_put(struct state *st, struct worker *w)
{
	struct table *t = &st->table;

	w->state = W_FREE;
	w->svc = NULL;
	w->next = t->free;
	t->free = w;
	t->used--;
}

/* Call fn on every slot in use (reload and shutdown only: O(table)). */
void
table_walk(struct state *st, void (*fn)(struct state *, struct worker *,
    void *), void *arg)
{
	struct table_chunk *c;
	int i;

	for (c = st->table.chunks; c; c = c->next)
		for (i = 0; i < c->n; i++)
			if (c->slot[i].state != W_FREE)
				fn(st, &c->slot[i], arg);
}
