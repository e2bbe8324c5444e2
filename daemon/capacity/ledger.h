/*
 * ledger.h - the ledger that admits workers against the machine's limits
 * (ledger.c): planned at load, drawn on by every spawn.
 */
#ifndef LEDGER_H
#define LEDGER_H

#include <stddef.h>

#include "capacity/cost.h"
#include "capacity/machine.h"

/* What the daemon itself spends per worker: its slot and hash bucket. */
#define COST_DAEMON_SIDE	256
/* A spawn-mode worker's connection: the socket and minimal buffers. */
#define COST_CONNECTION		4096
/* Room kept free: no promise is made up to the last byte or pid. */
#define SPARE_BYTES		(32LL * 1024 * 1024)
/* at least, strict overcommit */
#define SPARE_COMMIT		(16LL * 1024 * 1024)
#define SPARE_PIDS		64
#define SPARE_FDS		64

enum policy { POLICY_REFUSE, POLICY_CAP };

/* One service's share of the ledger. */
struct share {
	const char	*name;		/* the service, for messages */
	int		 asked;		/* workers in the config */
	/* workers it may have: asked, or capped */
	int		 granted;
	/* each worker also holds a connection */
	int		 spawn_mode;
	struct cost	 cost;		/* of one worker */
};

/* What live workers already hold when a new config is planned (reload). */
struct credit {
	long long	 bytes;		/* their memory, as charged */
	long long	 commit;
	long long	 pids;
	long long	 fds;
};

struct ledger {
	struct machine	 m;		/* as read when planned */
	enum policy	 policy;
	/* largest user + kernel of a share */
	long long	 per_worker_max;
	/* bytes promised for all granted workers */
	long long	 reserved;
	long long	 room;		/* memory that was there to promise */
	int		 workers;	/* granted in all */
	void		*commit;	/* strict overcommit: the reservation */
	size_t		 commit_len;
};

/*
 * Plan: grant each share what the machine can hold, or refuse. Writes one
 * line per shortfall into report; returns -1 when refused (policy refuse).
 */
int	ledger_plan(struct ledger *, struct share *, int, const struct credit *,
	    char *, size_t);
/* Hold the commit for the granted workers not yet live (strict overcommit). */
int	ledger_reserve(struct ledger *, long long);
/* Before a spawn: free one worker's commit from the reservation. */
void	ledger_take(struct ledger *, long long);
/* After a reap: take it back; -1 if the machine no longer has it. */
int	ledger_give(struct ledger *, long long);
long long	ledger_worker_bytes(const struct share *);
/* One line: workers, bytes per worker (user + kernel), reserved, room. */
void	ledger_summary(const struct ledger *, const struct share *, int,
	    char *, size_t);

#endif
