/*
 * machine.h - the limits a spawn can run into, as the kernel and the
 * daemon's cgroups state them now (machine.c).
 */
#ifndef MACHINE_H
#define MACHINE_H

#include <limits.h>

struct machine {
	long long	mem_available;	/* MemAvailable, bytes */
	/* effective memory cgroup limit, or -1 */
	long long	memcg_limit;
	long long	memcg_usage;	/* its usage, or -1 */
	/* the cgroup holding the limit */
	char		memcg[PATH_MAX];
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

#endif
