/*
 * capacity.h - the limits a spawn can run into (machine.c), what one worker
 * costs (cost.c), and the ledger that admits workers against them.
 */
#ifndef CAPACITY_H
#define CAPACITY_H

#include <limits.h>
#include <stddef.h>

struct machine {
	long long	mem_available;	/* MemAvailable, bytes */
	long long	memcg_limit;	/* effective memory cgroup limit, or -1 */
	long long	memcg_usage;	/* its usage, or -1 */
	char		memcg[PATH_MAX];	/* the cgroup holding the limit */
	int		overcommit;	/* vm.overcommit_memory */
	long long	commit_limit;	/* CommitLimit, bytes */
	long long	committed;	/* Committed_AS, bytes */
	long long	pid_max;	/* kernel.pid_max */
	long long	threads_max;	/* kernel.threads-max */
	long long	tasks;		/* tasks on the machine now */
	long long	pids_max;	/* tightest pids cgroup limit, or -1 */
	long long	pids_current;	/* its usage */
	char		pids_cgroup[PATH_MAX];
	long long	nofile_cur;	/* RLIMIT_NOFILE */
	long long	nofile_max;
	long long	max_map_count;	/* vm.max_map_count */
};

int		machine_read(struct machine *);
long long	machine_tasks(void);

/*
 * The kernel's fixed part of one worker on this machine kind (x86-64,
 * 4-level paging, no PTI): a 16 KiB kernel stack, one page-table chain
 * (PGD+PUD+PMD+PTE) and about 13.5 KB of task objects (task_struct, mm,
 * signal, sighand, files, pid, cred). Measured: 45.5 KB (DESIGN.md 4).
 */
#define COST_KERNEL_STACK	16384
#define COST_TASK_OBJECTS	13800
#define COST_PAGETABLE_CHAIN	16384
#define COST_FOREIGN_CHAINS	3	/* text, heap/mmap, stack regions */
#define COST_FOREIGN_DEFAULT	(2 * 1024 * 1024)	/* no memory key */
#define COST_EXEC_STACK		(32 * 1024)	/* RLIMIT_STACK of a one-page worker */

struct cost {
	int		one_page;	/* a lib/rt worker: its user part is exact */
	long long	user;		/* private bytes it can ever have */
	long long	kernel;		/* fixed kernel part */
	long long	commit;		/* what it may commit, strict overcommit */
};

/* Fill COST for PATH; BUDGET is the service's memory key, or 0. */
int		cost_of(const char *path, long long budget, struct cost *cost,
		    const char **why);

/* What the daemon itself spends per worker: its slot and hash bucket. */
#define COST_DAEMON_SIDE	256
/* A spawn-mode worker's connection: the socket and minimal buffers. */
#define COST_CONNECTION		4096
/* Room kept free: no promise is made up to the last byte or pid. */
#define SPARE_BYTES		(32LL * 1024 * 1024)
#define SPARE_COMMIT		(16LL * 1024 * 1024)	/* at least, strict overcommit */
#define SPARE_PIDS		64
#define SPARE_FDS		64

enum policy { POLICY_REFUSE, POLICY_CAP };

/* One service's share of the ledger. */
struct share {
	const char	*name;		/* the service, for messages */
	int		 asked;		/* workers in the config */
	int		 granted;	/* workers it may have: asked, or capped */
	int		 spawn_mode;	/* each worker also holds a connection */
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
	long long	 per_worker_max;	/* largest user + kernel of a share */
	long long	 reserved;	/* bytes promised for all granted workers */
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
