/*
 * table.c - the worker slots: preallocated chunks and one free list, so
 * that taking and returning a slot on the accept -> spawn -> reap path
 * never allocates, and a hash of the live ones by pid, for the reaper.
 * The table grows only when a config is loaded.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "myriadd.h"

static unsigned
pid_hash(const struct table *t, pid_t pid)
{
	return ((unsigned)pid * 2654435761U) & t->mask;
}

void
table_add_pid(struct state *st, struct worker *w)
{
	struct worker **b = &st->table.bucket[pid_hash(&st->table, w->pid)];

	w->hnext = *b;
	*b = w;
}

void
table_del_pid(struct state *st, struct worker *w)
{
	struct worker **pp = &st->table.bucket[pid_hash(&st->table, w->pid)];

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == w) {
			*pp = w->hnext;
			w->hnext = NULL;
			return;
		}
}

/* The live worker whose process is pid, or NULL. */
struct worker *
table_find_pid(struct state *st, pid_t pid)
{
	struct worker *w;

	for (w = st->table.bucket[pid_hash(&st->table, pid)]; w; w = w->hnext)
		if (w->pid == pid && w->state == W_LIVE)
			return w;
	return NULL;
}

static void
rehash_one(struct state *st, struct worker *w, void *arg)
{
	(void)arg;
	if (w->state == W_LIVE)
		table_add_pid(st, w);
}

/* A bucket per slot at least: chains stay about one long. */
static int
rehash(struct state *st, int n)
{
	struct table *t = &st->table;
	struct worker **b;
	unsigned size = 64;

	while (size < (unsigned)n)
		size *= 2;
	if (size - 1 <= t->mask && t->bucket != NULL)
		return 0;
	if ((b = calloc(size, sizeof(*b))) == NULL)
		return -1;
	free(t->bucket);
	t->bucket = b;
	t->mask = size - 1;
	table_walk(st, rehash_one, NULL);
	return 0;
}

/* Make room for n slots in use at once; -1 if out of memory. */
int
table_reserve(struct state *st, int n)
{
	struct table *t = &st->table;
	struct table_chunk *c;
	int add, i;

	if (rehash(st, n) == -1)
		return -1;
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
