/*
 * machine.c - read every machine and cgroup limit that could make a later
 * spawn fail: memory (MemAvailable, the memory cgroup, commit under strict
 * overcommit), pids (pid_max, threads-max, the pids cgroup), fds. Cgroups
 * are found as the kernel mounts them: v1, v2, or both (hybrid). Nothing
 * here allocates; a file that cannot be read or parsed is no limit known.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "capacity/machine.h"

#define UNLIMITED	(1LL << 60)	/* memcg v1 says 9223372036854771712 */
#define LINE_LEN	PATH_MAX	/* longer lines are skipped, not cut */

/* A file read one line at a time, without stdio: no buffer is allocated. */
struct lines {
	int	fd;
	size_t	off, len;		/* what is left of buf */
	char	buf[1024];
};

/* One controller's hierarchy, as the daemon sits in it. */
struct cgroup {
	int	version;		/* 1, 2, or 0: not found */
	size_t	top;			/* length of the mount point in dir */
	char	dir[PATH_MAX];		/* the daemon's cgroup, as mounted */
};

/* ROOT and PATH in BUF: ROOT is "/" but for a test's fixture tree. */
static int
path_at(char *buf, size_t len, const char *root, const char *path)
{
	int n;

	n = snprintf(buf, len, "%s%s", strcmp(root, "/") ? root : "", path);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
lines_open(struct lines *f, const char *root, const char *path)
{
	char file[PATH_MAX];

	f->off = f->len = 0;
	if (path_at(file, sizeof(file), root, path) == -1)
		return -1;
	f->fd = open(file, O_RDONLY | O_CLOEXEC);
	return f->fd == -1 ? -1 : 0;
}

/* The next line without its newline; -1 at the end or on an error. */
static int
lines_next(struct lines *f, char *line, size_t len)
{
	size_t n = 0;
	ssize_t r;
	int over = 0;
	char c;

	for (;;) {
		if (f->off == f->len) {
			r = read(f->fd, f->buf, sizeof(f->buf));
			if (r == -1 && errno == EINTR)
				continue;
			if (r <= 0) {
				line[n] = '\0';
				return n > 0 && !over ? 0 : -1;
			}
			f->off = 0;
			f->len = (size_t)r;
		}
		c = f->buf[f->off++];
		if (c != '\n') {
			if (n + 1 < len)
				line[n++] = c;
			else
				over = 1;
		} else if (over)
			n = over = 0;	/* an overlong line would parse wrong */
		else {
			line[n] = '\0';
			return 0;
		}
	}
}

/* The first number in PATH after KEY (NULL: the first line); "max" too. */
static long long
read_number(const char *root, const char *path, const char *key)
{
	struct lines f;
	char line[256], *p, *end;
	size_t klen = key ? strlen(key) : 0;
	long long v = -1;

	if (lines_open(&f, root, path) == -1)
		return -1;
	while (lines_next(&f, line, sizeof(line)) == 0) {
		if (key && strncmp(line, key, klen) != 0)
			continue;
		p = line + klen + strspn(line + klen, " \t");
		errno = 0;
		if (strcmp(p, "max") == 0)
			v = UNLIMITED;
		else if ((v = strtoll(p, &end, 10)) < 0 || end == p ||
		    errno != 0 || (*end != '\0' && *end != ' '))
			v = -1;
		break;
	}
	close(f.fd);
	return v;
}

/* WORD is one of the items of LIST, separated by SEP. */
static int
has_word(const char *list, int sep, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while (p != NULL) {
		if (strncmp(p, word, n) == 0 && (p[n] == sep || p[n] == '\0'))
			return 1;
		if ((p = strchr(p, sep)) != NULL)
			p++;
	}
	return 0;
}

/*
 * The daemon's cgroup for CONTROLLER, from /proc/self/cgroup, in REL: the
 * v1 line that binds it wins, as a controller bound to v1 cannot be on v2;
 * else the v2 line "0::/path". Returns the version, or 0.
 */
static int
self_cgroup(const char *root, const char *controller, char *rel, size_t len)
{
	struct lines f;
	char line[LINE_LEN], *list, *path;
	int version = 0, v;

	if (lines_open(&f, root, "/proc/self/cgroup") == -1)
		return 0;
	while (version != 1 && lines_next(&f, line, sizeof(line)) == 0) {
		if ((list = strchr(line, ':')) == NULL ||
		    (path = strchr(list + 1, ':')) == NULL)
			continue;
		*list++ = '\0';
		*path++ = '\0';
		if (strcmp(line, "0") == 0 && *list == '\0')
			v = 2;
		else if (has_word(list, ',', controller))
			v = 1;
		else
			continue;
		if (*path == '/' && strlen(path) < len) {
			memcpy(rel, path, strlen(path) + 1);
			version = v;
		}
	}
	close(f.fd);
	return version;
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void
unescape(char *s)
{
	char *d = s;

	for (; *s != '\0'; s++, d++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
			    (s[3] - '0'));
			s += 3;
		} else
			*d = *s;
	}
	*d = '\0';
}

/*
 * The fields of one mountinfo line: "id parent dev ROOT MNT opts [tags] -
 * FSTYPE source SUPEROPTS". ROOT is the cgroup mounted at MNT.
 */
static int
mount_fields(char *line, char **mroot, char **mnt, char **fstype,
    char **opts)
{
	char *t, *save = NULL;
	int i;

	*mroot = *mnt = *fstype = *opts = NULL;
	t = strtok_r(line, " ", &save);
	for (i = 0; t != NULL && i < 5; i++) {
		if (i == 3)
			*mroot = t;
		else if (i == 4)
			*mnt = t;
		t = strtok_r(NULL, " ", &save);
	}
	while (t != NULL && strcmp(t, "-") != 0)
		t = strtok_r(NULL, " ", &save);
	if (i < 5 || t == NULL ||
	    (*fstype = strtok_r(NULL, " ", &save)) == NULL ||
	    strtok_r(NULL, " ", &save) == NULL ||
	    (*opts = strtok_r(NULL, " ", &save)) == NULL)
		return -1;
	unescape(*mroot);
	unescape(*mnt);
	return 0;
}

/* A cgroup above the namespace's root is shown as "/../..": not ours. */
static int
climbs(const char *rel)
{
	size_t n = strlen(rel);

	return strstr(rel, "/../") != NULL ||
	    (n >= 3 && strcmp(rel + n - 3, "/..") == 0);
}

/* REL, the daemon's cgroup, as a directory under MNT where MROOT is. */
static int
cgroup_join(struct cgroup *cg, const char *mnt, const char *mroot,
    const char *rel)
{
	size_t n = strcmp(mroot, "/") == 0 ? 0 : strlen(mroot);
	const char *rest = rel + n;
	int w;

	if (strncmp(rel, mroot, n) != 0 || (*rest != '/' && *rest != '\0') ||
	    climbs(rel) || *mnt != '/' || mnt[1] == '\0')
		return -1;	/* not under this mount */
	if (strcmp(rest, "/") == 0)
		rest = "";
	w = snprintf(cg->dir, sizeof(cg->dir), "%s%s", mnt, rest);
	if (w < 0 || (size_t)w >= sizeof(cg->dir))
		return -1;
	cg->top = strlen(mnt);
	return 0;
}

/*
 * The first mount of the hierarchy, from /proc/self/mountinfo, that holds
 * the daemon's cgroup REL: type "cgroup2", or "cgroup" with CONTROLLER in
 * its super options (co-mounted ones, "cpu,cpuacct", are named so too).
 */
static int
cgroup_mount(const char *root, int version, const char *controller,
    const char *rel, struct cgroup *cg)
{
	struct lines f;
	char line[LINE_LEN], *mroot, *mnt, *fstype, *opts;
	int found = -1;

	if (lines_open(&f, root, "/proc/self/mountinfo") == -1)
		return -1;
	while (found == -1 && lines_next(&f, line, sizeof(line)) == 0) {
		if (mount_fields(line, &mroot, &mnt, &fstype, &opts) == -1)
			continue;
		if (version == 2 && strcmp(fstype, "cgroup2") == 0)
			found = cgroup_join(cg, mnt, mroot, rel);
		else if (version == 1 && strcmp(fstype, "cgroup") == 0 &&
		    has_word(opts, ',', controller))
			found = cgroup_join(cg, mnt, mroot, rel);
	}
	close(f.fd);
	return found;
}

/* On v2 a controller is there only if the mounted cgroup lists it. */
static int
v2_has(const char *root, const struct cgroup *cg, const char *controller)
{
	struct lines f;
	char file[PATH_MAX], line[512];
	int has = 0;

	if ((size_t)snprintf(file, sizeof(file), "%.*s/cgroup.controllers",
	    (int)cg->top, cg->dir) >= sizeof(file) ||
	    lines_open(&f, root, file) == -1)
		return 0;
	if (lines_next(&f, line, sizeof(line)) == 0)
		has = has_word(line, ' ', controller);
	close(f.fd);
	return has;
}

static void
cgroup_find(const char *root, const char *controller, struct cgroup *cg)
{
	char rel[PATH_MAX];
	int version;

	cg->version = 0;
	cg->top = 0;
	cg->dir[0] = '\0';
	if ((version = self_cgroup(root, controller, rel, sizeof(rel))) == 0 ||
	    cgroup_mount(root, version, controller, rel, cg) == -1)
		return;
	if (version == 2 && !v2_has(root, cg, controller))
		cg->dir[0] = '\0';
	else
		cg->version = version;
}

static long long
read_in(const char *root, const char *dir, const char *name)
{
	char file[PATH_MAX + 32];

	if ((size_t)snprintf(file, sizeof(file), "%s/%s", dir, name) >=
	    sizeof(file))
		return -1;
	return read_number(root, file, NULL);
}

/*
 * The tightest limit in MAXF from the daemon's cgroup up to the mounted
 * one, with the usage in CURF beside it: the least headroom wins, as a
 * spawn fails at the first full ancestor. No limit: the own usage, -1.
 */
static void
cgroup_walk(const char *root, const struct cgroup *cg, const char *maxf,
    const char *curf, long long *max, long long *cur, char *where)
{
	char dir[PATH_MAX], *slash;
	long long m, c;

	memcpy(dir, cg->dir, strlen(cg->dir) + 1);
	memcpy(where, dir, strlen(dir) + 1);
	*max = -1;
	*cur = read_in(root, dir, curf);
	for (;;) {
		m = read_in(root, dir, maxf);
		c = read_in(root, dir, curf);
		if (m >= 0 && m < UNLIMITED && c >= 0 &&
		    (*max < 0 || m - c < *max - *cur)) {
			*max = m;
			*cur = c;
			memcpy(where, dir, strlen(dir) + 1);
		}
		if (strlen(dir) <= cg->top ||
		    (slash = strrchr(dir, '/')) == NULL)
			break;
		*slash = '\0';
	}
}

static const char *
hierarchy_of(int memory, int pids)
{
	if (memory == 0 && pids == 0)
		return "none";
	if (memory != 2 && pids != 2)
		return "cgroup v1";
	if (memory != 1 && pids != 1)
		return "cgroup v2";
	return "hybrid";
}

/* The files of a limit and its usage, by hierarchy version. */
static const char *const memory_files[3][2] = {
	{ NULL, NULL },
	{ "memory.limit_in_bytes", "memory.usage_in_bytes" },
	{ "memory.max", "memory.current" },
};

static void
read_cgroups(struct machine *l, const char *root)
{
	struct cgroup cg;

	l->memcg_limit = l->memcg_usage = -1;
	l->pids_max = l->pids_current = -1;
	cgroup_find(root, "memory", &cg);
	if ((l->memcg_version = cg.version) != 0)
		cgroup_walk(root, &cg, memory_files[cg.version][0],
		    memory_files[cg.version][1], &l->memcg_limit,
		    &l->memcg_usage, l->memcg);
	cgroup_find(root, "pids", &cg);
	if ((l->pids_version = cg.version) != 0)
		cgroup_walk(root, &cg, "pids.max", "pids.current",
		    &l->pids_max, &l->pids_current, l->pids_cgroup);
	l->hierarchy = hierarchy_of(l->memcg_version, l->pids_version);
}

/* Tasks on the machine now: the 4th field of loadavg, "run/total". */
static long long
tasks_at(const char *root)
{
	struct lines f;
	char line[256], *slash;
	long long n = -1;

	if (lines_open(&f, root, "/proc/loadavg") == -1)
		return -1;
	if (lines_next(&f, line, sizeof(line)) == 0 &&
	    (slash = strchr(line, '/')) != NULL)
		n = strtoll(slash + 1, NULL, 10);
	close(f.fd);
	return n;
}

static long long
sysctl_at(const char *root, const char *name)
{
	char file[128];

	snprintf(file, sizeof(file), "/proc/sys/%s", name);
	return read_number(root, file, NULL);
}

int
machine_read_at(struct machine *l, const char *root)
{
	struct rlimit rl;

	memset(l, 0, sizeof(*l));
	l->mem_available = read_number(root, "/proc/meminfo", "MemAvailable:");
	l->commit_limit = read_number(root, "/proc/meminfo", "CommitLimit:");
	l->committed = read_number(root, "/proc/meminfo", "Committed_AS:");
	l->mem_available *= 1024;
	l->commit_limit *= 1024;
	l->committed *= 1024;
	l->overcommit = (int)sysctl_at(root, "vm/overcommit_memory");
	l->pid_max = sysctl_at(root, "kernel/pid_max");
	l->threads_max = sysctl_at(root, "kernel/threads-max");
	l->max_map_count = sysctl_at(root, "vm/max_map_count");
	l->tasks = tasks_at(root);
	read_cgroups(l, root);
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

int
machine_read(struct machine *l)
{
	return machine_read_at(l, "/");
}

long long
machine_tasks(void)
{
	return tasks_at("/");
}
