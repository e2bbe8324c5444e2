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
	/* the cgroup holding the limit, else the daemon's own, or "" */
	char		memcg[PATH_MAX];
	int		memcg_version;	/* 1 or 2: its hierarchy; 0: none */
	int		overcommit;	/* vm.overcommit_memory */
	long long	commit_limit;	/* CommitLimit, bytes */
	long long	committed;	/* Committed_AS, bytes */
	long long	pid_max;	/* kernel.pid_max */
	long long	threads_max;	/* kernel.threads-max */
	long long	tasks;		/* tasks on the machine now */
	long long	pids_max;	/* tightest pids cgroup limit, or -1 */
	long long	pids_current;	/* its usage, or -1 */
	char		pids_cgroup[PATH_MAX];	/* as memcg */
	int		pids_version;	/* as memcg_version */
	const char	*hierarchy;	/* "cgroup v1", "cgroup v2", "hybrid",
					   "none": where those two were read */
	long long	nofile_cur;	/* RLIMIT_NOFILE */
	long long	nofile_max;
	long long	max_map_count;	/* vm.max_map_count */
};

int		machine_read(struct machine *);
/* The same, with /proc and the cgroup mounts under ROOT: for unit tests. */
int		machine_read_at(struct machine *, const char *);
long long	machine_tasks(void);

#endif
