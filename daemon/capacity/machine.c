/*
 * machine.c - read every machine and cgroup limit that could make a later
 * spawn fail: memory (MemAvailable, the memory cgroup, commit under strict
 * overcommit), pids (pid_max, threads-max, the pids cgroup), fds.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "capacity/machine.h"

#define CGROUP_ROOT	"/sys/fs/cgroup"
#define UNLIMITED_BYTES	(1LL << 60)	/* memcg v1 says 9223372036854771712 */

/* The first number in FILE after KEY (KEY may be NULL: the first one). */
static long long
read_number(const char *file, const char *key)
{
	char line[512];
	long long v = -1;
	size_t klen = key ? strlen(key) : 0;
	FILE *f;

	if ((f = fopen(file, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (key && strncmp(line, key, klen) != 0)
			continue;
		if (strncmp(line + klen, "max", 3) == 0)
			v = UNLIMITED_BYTES;
		else
			v = strtoll(line + klen, NULL, 10);
		break;
	}
	fclose(f);
	return v;
}

/* The cgroup v1 directory of this process for CONTROLLER, or -1. */
static int
cgroup_dir(const char *controller, char *dir, size_t len)
{
	char line[1024], *name, *path, *save;
	FILE *f;
	int found = -1;

	if ((f = fopen("/proc/self/cgroup", "re")) == NULL)
		return -1;
	while (found == -1 && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((name = strchr(line, ':')) == NULL ||
		    (path = strchr(name + 1, ':')) == NULL)
			continue;
		*path++ = '\0';
		for (name = strtok_r(name + 1, ",", &save); name;
		    name = strtok_r(NULL, ",", &save))
			if (strcmp(name, controller) == 0 &&
			    (size_t)snprintf(dir, len, "%s/%s%s", CGROUP_ROOT,
			    controller, path) < len) {
				found = 0;
				break;
			}
	}
	fclose(f);
	return found;
}

/* The tightest pids.max from this cgroup up to the root, and its usage. */
static void
read_pids_cgroup(struct machine *l)
{
	char dir[PATH_MAX], file[PATH_MAX + 16], *slash;
	long long max, cur;

	l->pids_max = l->pids_current = -1;
	if (cgroup_dir("pids", dir, sizeof(dir)) == -1)
		return;
	while (strlen(dir) > sizeof(CGROUP_ROOT "/pids") - 1) {
		snprintf(file, sizeof(file), "%s/pids.max", dir);
		max = read_number(file, NULL);
		snprintf(file, sizeof(file), "%s/pids.current", dir);
		cur = read_number(file, NULL);
		if (max >= 0 && max < UNLIMITED_BYTES && cur >= 0 &&
		    (l->pids_max < 0 || max - cur < l->pids_max - l->pids_current)) {
			l->pids_max = max;
			l->pids_current = cur;
			snprintf(l->pids_cgroup, sizeof(l->pids_cgroup), "%s", dir);
		}
		if ((slash = strrchr(dir, '/')) == NULL)
			break;
		*slash = '\0';
	}
}

static void
read_memory_cgroup(struct machine *l)
{
	char dir[PATH_MAX], file[PATH_MAX + 32];
	long long limit;

	l->memcg_limit = l->memcg_usage = -1;
	if (cgroup_dir("memory", dir, sizeof(dir)) == -1)
		return;
	snprintf(file, sizeof(file), "%s/memory.stat", dir);
	limit = read_number(file, "hierarchical_memory_limit ");
	snprintf(file, sizeof(file), "%s/memory.usage_in_bytes", dir);
	l->memcg_usage = read_number(file, NULL);
	if (limit > 0 && limit < UNLIMITED_BYTES) {
		l->memcg_limit = limit;
		snprintf(l->memcg, sizeof(l->memcg), "%s", dir);
	}
}

int
machine_read(struct machine *l)
{
	struct rlimit rl;

	memset(l, 0, sizeof(*l));
	l->mem_available = read_number("/proc/meminfo", "MemAvailable:") * 1024;
	l->commit_limit = read_number("/proc/meminfo", "CommitLimit:") * 1024;
	l->committed = read_number("/proc/meminfo", "Committed_AS:") * 1024;
	l->overcommit = (int)read_number("/proc/sys/vm/overcommit_memory", NULL);
	l->pid_max = read_number("/proc/sys/kernel/pid_max", NULL);
	l->threads_max = read_number("/proc/sys/kernel/threads-max", NULL);
	l->tasks = machine_tasks();
	l->max_map_count = read_number("/proc/sys/vm/max_map_count", NULL);
	read_memory_cgroup(l);
	read_pids_cgroup(l);
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	l->nofile_cur = (long long)rl.rlim_cur;
	l->nofile_max = (long long)rl.rlim_max;
	if (l->mem_available < 0 || l->pid_max < 0 || l->threads_max < 0) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

/* Tasks on the machine now: the 4th field of /proc/loadavg, "run/total". */
long long
machine_tasks(void)
{
	char buf[128], *slash;
	FILE *f;
	long long n = -1;

	if ((f = fopen("/proc/loadavg", "re")) == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) != NULL && (slash = strchr(buf, '/')))
		n = strtoll(slash + 1, NULL, 10);
	fclose(f);
	return n;
}
