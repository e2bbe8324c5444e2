/*
 * table.c - the worker slots: preallocated chunks and one free list, so
 * that taking and returning a slot on the accept -> spawn -> reap path
 * never allocates, and a hash of the live ones by pid, for the reaper.
 * The table grows only when a config is loaded.
 */
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "table.h"
#include "worker.h"

static unsigned
pid_hash(const struct table *t, pid_t pid)
{
	return ((unsigned)pid * 2654435761U) & t->mask;
}

void
table_add_pid(struct state *st, struct worker *w)
{
	struct table *t = &st->table;
	unsigned i = pid_hash(t, w->pid);

	while (t->bypid[i] != NULL)
		i = (i + 1) & t->mask;
	t->bypid[i] = w;
}

/* Linear probing: close the gap by moving back what probed past it. */
void
table_del_pid(struct state *st, struct worker *w)
{
	struct table *t = &st->table;
	unsigned i = pid_hash(t, w->pid), j, home;

	while (t->bypid[i] != w) {
		if (t->bypid[i] == NULL)
			return;
		i = (i + 1) & t->mask;
	}
	t->bypid[i] = NULL;
	for (j = (i + 1) & t->mask; t->bypid[j] != NULL;
	    j = (j + 1) & t->mask) {
		home = pid_hash(t, t->bypid[j]->pid);
		/* Stays if its home lies cyclically in (i, j]. */
		if (((j - home) & t->mask) < ((j - i) & t->mask))
			continue;
		t->bypid[i] = t->bypid[j];
		t->bypid[j] = NULL;
		i = j;
	}
}

/* The live worker whose process is pid, or NULL. */
struct worker *
table_find_pid(struct state *st, pid_t pid)
{
	struct table *t = &st->table;
	unsigned i;

	for (i = pid_hash(t, pid); t->bypid[i] != NULL; i = (i + 1) & t->mask)
		if (t->bypid[i]->pid == pid)
			return t->bypid[i];
	return NULL;
}

static void
rehash_one(struct state *st, struct worker *w, void *arg)
{
	(void)arg;
	if (WORKER_PROCESS(w))
		table_add_pid(st, w);
}

/* At most three quarters full: probes stay short. */
static int
rehash(struct state *st, int n)
{
	struct table *t = &st->table;
	struct worker **old = t->bypid;
	unsigned size = 64;

	while (size / 4 * 3 < (unsigned)n)
		size *= 2;
	if (old != NULL && size - 1 <= t->mask)
		return 0;
	if ((t->bypid = calloc(size, sizeof(*t->bypid))) == NULL) {
		t->bypid = old;
		return -1;
	}
	free(old);
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
