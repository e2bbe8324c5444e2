/*
 * proc.h - a worker's /proc/PID files read without stdio (proc.c), for
 * the footprint sampler and the retiring of pool workers.
 */
#ifndef PROC_H
#define PROC_H

#include <sys/types.h>

#define PROC_PATH_MAX	48	/* "/proc/PID/smaps_rollup" and the like */

void		 proc_path(char *, pid_t, const char *);
ssize_t		 proc_read(pid_t, const char *, char *, size_t);
int		 proc_waiting(pid_t);
char		 proc_state(pid_t);

#endif
