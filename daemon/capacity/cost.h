/*
 * cost.h - what one worker costs: the kernel's fixed part, and the user
 * part its ELF allows (cost.c).
 */
#ifndef COST_H
#define COST_H

#include <sys/stat.h>

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
/* RLIMIT_STACK of a one-page worker */
#define COST_EXEC_STACK		(32 * 1024)
/* the vDSO and vvar at its exec (32 KiB on 6.18), before it unmaps them */
#define COST_EXEC_VDSO		(64 * 1024)
/* a one-page program's file is looked at again at most this often */
#define COST_RECHECK_S		0.1

struct cost {
	/* a lib/rt worker: its user part is exact */
	int		one_page;
	long long	user;		/* private bytes it can ever have */
	long long	kernel;		/* fixed kernel part */
	/* what it may commit, strict overcommit */
	long long	commit;
	/* one-page: its RLIMIT_AS, the ELF's mappings and the exec's */
	long long	span;
	/* one-page: the file that was priced, when it was last looked at */
	struct stat	priced;
	double		checked;
	int		outgrown;	/* and found not to fit any more */
};

/* Fill COST for PATH; BUDGET is the service's memory key, or 0. */
int		cost_of(const char *path, long long budget, struct cost *cost,
		    const char **why);
int		cost_still(const char *path, struct cost *cost);

#endif
