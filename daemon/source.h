/*
 * source.h - who a connection comes from, and how many of a service's
 * workers each source holds (source.c): an IPv4 address, an IPv6 /64, or
 * a UNIX peer's uid. The counts live in a table sized when the config is
 * loaded, so the accept path never allocates.
 */
#ifndef SOURCE_H
#define SOURCE_H

#include <sys/socket.h>
#include <stdint.h>

struct source_key {
	uint8_t		family;		/* AF_INET, AF_INET6 or AF_UNIX */
	uint8_t		bytes[8];	/* v4: 4, v6: its /64, UNIX: the uid */
};

struct source_entry {
	struct source_key key;
	uint32_t	count;		/* workers of this source now */
	uint32_t	next;		/* 1 + next in its bucket or free list */
};

struct source_table {
	struct source_entry *entry;	/* cap of them, never moved by use */
	uint32_t	*bucket;	/* 1 + first entry of each, or 0 */
	uint32_t	cap;
	uint32_t	mask;		/* buckets less one, a power of two */
	uint32_t	free;		/* 1 + first free entry, or 0 */
};

int		 source_reserve(struct source_table *, int);
void		 source_free(struct source_table *);
int		 source_key_of(struct source_key *, int,
		    const struct sockaddr_storage *);
uint32_t	 source_take(struct source_table *, const struct source_key *);
uint32_t	 source_count(const struct source_table *, uint32_t);
void		 source_put(struct source_table *, uint32_t);

#endif
