/*
 * source.c - a service's workers counted by source: chained buckets over
 * a pool of entries that never move, so a worker keeps its entry's index
 * from accept to reap, and taking or returning one is O(1) on average
 * with no allocation. The pool has an entry per worker the service may
 * have (at most that many sources at once) and grows only at config load.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

static uint32_t
key_hash(const struct source_key *k)
{
	uint32_t h = 2166136261U;
	size_t i;

	h = (h ^ k->family) * 16777619U;
	for (i = 0; i < sizeof(k->bytes); i++)
		h = (h ^ k->bytes[i]) * 16777619U;
	return h;
}

static int
key_equal(const struct source_key *a, const struct source_key *b)
{
	return a->family == b->family &&
	    memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

/* Room for n sources at once; entries in use keep their index. */
int
source_reserve(struct source_table *t, int n)
{
	struct source_entry *e;
	uint32_t *b, size = 16, i, home;

	if (n <= 0 || (uint32_t)n <= t->cap)
		return 0;
	while (size < (uint32_t)n)
		size *= 2;
	if ((e = reallocarray(t->entry, (size_t)n, sizeof(*e))) == NULL)
		return -1;
	t->entry = e;
	if ((b = calloc(size, sizeof(*b))) == NULL)
		return -1;
	for (i = (uint32_t)n; i-- > t->cap; ) {
		memset(&e[i], 0, sizeof(e[i]));
		e[i].next = t->free;
		t->free = i + 1;
	}
	/* The entries in use go into the new buckets. */
	for (i = 0; i < t->cap; i++)
		if (e[i].count > 0) {
			home = key_hash(&e[i].key) & (size - 1);
			e[i].next = b[home];
			b[home] = i + 1;
		}
	free(t->bucket);
	t->bucket = b;
	t->mask = size - 1;
	t->cap = (uint32_t)n;
	return 0;
}

void
source_free(struct source_table *t)
{
	free(t->entry);
	free(t->bucket);
	memset(t, 0, sizeof(*t));
}

/*
 * The source of connection fd from peer: the address (an IPv4-mapped
 * IPv6 one as IPv4), an IPv6 address's /64, a UNIX peer's uid. -1 if
 * the UNIX peer's credentials cannot be had.
 */
int
source_key_of(struct source_key *k, int fd, const struct sockaddr_storage *peer)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)peer;
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)peer;
	struct ucred cred;
	socklen_t len = sizeof(cred);

	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)peer->ss_family;
	if (peer->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
		k->family = AF_INET;
		memcpy(k->bytes, &in6->sin6_addr.s6_addr[12], 4);
	} else if (peer->ss_family == AF_INET6)
		memcpy(k->bytes, in6->sin6_addr.s6_addr, 8);
	else if (peer->ss_family == AF_INET)
		memcpy(k->bytes, &in4->sin_addr, 4);
	else {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
			return -1;
		memcpy(k->bytes, &cred.uid, sizeof(cred.uid));
	}
	return 0;
}

/* Count one more worker of k; 1 + its entry, or 0 if the table is full. */
uint32_t
source_take(struct source_table *t, const struct source_key *k)
{
	uint32_t home, i;

	if (t->cap == 0)
		return 0;
	home = key_hash(k) & t->mask;
	for (i = t->bucket[home]; i != 0; i = t->entry[i - 1].next)
		if (key_equal(&t->entry[i - 1].key, k)) {
			t->entry[i - 1].count++;
			return i;
		}
	if ((i = t->free) == 0)
		return 0;
	t->free = t->entry[i - 1].next;
	t->entry[i - 1].key = *k;
	t->entry[i - 1].count = 1;
	t->entry[i - 1].next = t->bucket[home];
	t->bucket[home] = i;
	return i;
}

/* Workers of the source of entry i (1 + its index), this one included. */
uint32_t
source_count(const struct source_table *t, uint32_t i)
{
	return i ? t->entry[i - 1].count : 0;
}

/* One worker of entry i is gone; the last frees the entry. */
void
source_put(struct source_table *t, uint32_t i)
{
	struct source_entry *e;
	uint32_t *pp;

	if (i == 0 || (e = &t->entry[i - 1])->count == 0 || --e->count > 0)
		return;
	for (pp = &t->bucket[key_hash(&e->key) & t->mask]; *pp != i;
	    pp = &t->entry[*pp - 1].next)
		;
	*pp = e->next;
	e->next = t->free;
	t->free = i;
}
