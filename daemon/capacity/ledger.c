/*
 * ledger.c - the preallocation ledger: before any worker is promised, the
 * memory, commit, pids and fds it needs are checked against what the
 * machine and its cgroups have; each spawn then draws on its service's
 * grant and each reap gives back. Under strict overcommit the commit is
 * held for real, in one anonymous mapping that shrinks as workers start.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "capacity/ledger.h"

enum resource { R_MEMORY, R_COMMIT, R_PIDS, R_FDS, R_COUNT };

static const char *const resource_name[R_COUNT] = {
	"memory", "commit (vm.overcommit_memory=2)", "pids", "file descriptors",
};

struct need {
	long long	room[R_COUNT];	/* what there is, -1: not a limit */
	long long	want[R_COUNT];	/* what all asked workers need */
	const char	*where[R_COUNT];	/* which limit is the tightest */
};

static void
human(char *buf, size_t len, long long bytes)
{
	if (bytes >= 10LL * 1000 * 1000)
		snprintf(buf, len, "%lld MB", bytes / 1000000);
	else if (bytes >= 10 * 1000)
		snprintf(buf, len, "%lld KB", bytes / 1000);
	else
		snprintf(buf, len, "%lld B", bytes);
}

static size_t
page_round(long long bytes)
{
	return (size_t)((bytes + 4095) & ~4095LL);
}

static long long
spare_of(long long limit)
{
	return limit / 10 < SPARE_BYTES ? limit / 10 : SPARE_BYTES;
}

static long long
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	long long n = 0;

	if (d == NULL)
		return 64;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

long long
ledger_worker_bytes(const struct share *s)
{
	return s->cost.user + s->cost.kernel + COST_DAEMON_SIDE +
	    (s->spawn_mode ? COST_CONNECTION : 0);
}

static void
measure_room(struct ledger *l, struct need *n, const struct credit *cr)
{
	const struct machine *m = &l->m;
	long long cg, pids;

	n->room[R_MEMORY] = m->mem_available - spare_of(m->mem_available);
	n->where[R_MEMORY] = "MemAvailable";
	if (m->memcg_limit >= 0) {
		cg = m->memcg_limit - m->memcg_usage - spare_of(m->memcg_limit);
		if (cg < n->room[R_MEMORY]) {
			n->room[R_MEMORY] = cg;
			n->where[R_MEMORY] = m->memcg;
		}
	}
	n->room[R_COMMIT] = -1;
	if (m->overcommit == 2) {
		/* the rest of the machine must still be able to fork */
		n->room[R_COMMIT] = m->commit_limit - m->committed -
		    (spare_of(m->commit_limit) > SPARE_COMMIT ?
		    spare_of(m->commit_limit) : SPARE_COMMIT);
		n->where[R_COMMIT] = "CommitLimit - Committed_AS";
	}
	pids = m->pid_max - m->tasks;
	n->where[R_PIDS] = "kernel.pid_max";
	if (m->threads_max - m->tasks < pids) {
		pids = m->threads_max - m->tasks;
		n->where[R_PIDS] = "kernel.threads-max";
	}
	if (m->pids_max >= 0 && m->pids_max - m->pids_current < pids) {
		pids = m->pids_max - m->pids_current;
		n->where[R_PIDS] = m->pids_cgroup;
	}
	n->room[R_PIDS] = pids - SPARE_PIDS;
	n->room[R_FDS] = m->nofile_max - open_fds() - SPARE_FDS;
	n->where[R_FDS] = "RLIMIT_NOFILE";
	/* what the live workers hold comes back to the new plan */
	n->room[R_MEMORY] += cr->bytes;
	if (n->room[R_COMMIT] >= 0)
		n->room[R_COMMIT] += cr->commit;
	n->room[R_PIDS] += cr->pids;
	n->room[R_FDS] += cr->fds;
}

static void
add_wants(struct need *n, const struct share *s, int nshares)
{
	int i;

	memset(n->want, 0, sizeof(n->want));
	for (i = 0; i < nshares; i++) {
		n->want[R_MEMORY] += (long long)s[i].asked * ledger_worker_bytes(&s[i]);
		n->want[R_COMMIT] += (long long)s[i].asked * s[i].cost.commit;
		n->want[R_PIDS] += s[i].asked;
		/*
		 * Its listener: a worker holds no fd of the daemon's, and a
		 * connection is the daemon's only until the child has it.
		 */
		n->want[R_FDS] += 1;
	}
}

/* "memory: the workers need 530 MB, /sys/fs/.../x can give 57 MB\n" */
static void
say_shortfall(const struct need *n, int r, char **p, const char *end)
{
	char want[32], room[32];
	long long have = n->room[r] > 0 ? n->room[r] : 0;
	int w;

	if (r == R_MEMORY || r == R_COMMIT) {
		human(want, sizeof(want), n->want[r]);
		human(room, sizeof(room), have);
	} else {
		snprintf(want, sizeof(want), "%lld", n->want[r]);
		snprintf(room, sizeof(room), "%lld", have);
	}
	w = snprintf(*p, (size_t)(end - *p), "%s: the workers need %s, %s "
	    "can give %s\n", resource_name[r], want, n->where[r], room);
	if (w > 0)
		*p += w < end - *p ? w : end - *p - 1;
}

int
ledger_plan(struct ledger *l, struct share *s, int nshares,
    const struct credit *cr, char *report, size_t len)
{
	struct need n;
	char *p = report, *end = report + len;
	double f = 1.0, fr;
	int r, i;

	*report = '\0';
	if (machine_read(&l->m) == -1) {
		snprintf(report, len, "unable to read the machine's limits: %s\n",
		    strerror(errno));
		return -1;
	}
	measure_room(l, &n, cr);
	add_wants(&n, s, nshares);
	for (r = 0; r < R_COUNT; r++) {
		if (n.room[r] < 0 && r == R_COMMIT)
			continue;
		if (n.want[r] <= (n.room[r] > 0 ? n.room[r] : 0))
			continue;
		say_shortfall(&n, r, &p, end);
		fr = n.room[r] > 0 ? (double)n.room[r] / (double)n.want[r] : 0;
		if (fr < f)
			f = fr;
	}
	if (f < 1.0 && l->policy == POLICY_REFUSE)
		return -1;
	l->workers = 0;
	l->reserved = 0;
	l->per_worker_max = 0;
	l->room = n.room[R_MEMORY];
	for (i = 0; i < nshares; i++) {
		s[i].granted = f < 1.0 ? (int)(s[i].asked * f) : s[i].asked;
		l->workers += s[i].granted;
		l->reserved += (long long)s[i].granted * ledger_worker_bytes(&s[i]);
		if (ledger_worker_bytes(&s[i]) > l->per_worker_max)
			l->per_worker_max = ledger_worker_bytes(&s[i]);
	}
	return 0;
}


int
ledger_reserve(struct ledger *l, long long bytes)
{
	if (l->commit != NULL)
		munmap(l->commit, l->commit_len);
	l->commit = NULL;
	l->commit_len = 0;
	if (l->m.overcommit != 2 || bytes <= 0)
		return 0;
	l->commit = mmap(NULL, page_round(bytes), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (l->commit == MAP_FAILED) {
		l->commit = NULL;
		return -1;
	}
	l->commit_len = page_round(bytes);
	return 0;
}

void
ledger_take(struct ledger *l, long long bytes)
{
	size_t piece = page_round(bytes);

	if (l->commit == NULL || piece == 0)
		return;
	/* shrink in place: the worker's exec commits what this frees */
	if (l->commit_len <= piece) {
		munmap(l->commit, l->commit_len);
		l->commit = NULL;
		l->commit_len = 0;
	} else if (mremap(l->commit, l->commit_len, l->commit_len - piece, 0)
	    != MAP_FAILED)
		l->commit_len -= piece;
}

int
ledger_give(struct ledger *l, long long bytes)
{
	size_t piece = page_round(bytes);
	void *p;

	if (l->m.overcommit != 2 || piece == 0)
		return 0;
	if (l->commit == NULL)
		p = mmap(NULL, piece, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else
		p = mremap(l->commit, l->commit_len, l->commit_len + piece,
		    MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		return -1;
	l->commit = p;
	l->commit_len += piece;
	return 0;
}

/*
 * "memory /sys/fs/cgroup/memory/x limit 67 MB", "pids no limit": the
 * cgroup is named where it holds a limit, its hierarchy when hybrid.
 */
static void
say_cgroup(char *buf, size_t len, const char *what, int version, int hybrid,
    const char *dir, const char *limit)
{
	const char *tag = !hybrid ? "" : version == 1 ? " v1" : " v2";

	if (version == 0)
		snprintf(buf, len, "%s none", what);
	else if (limit == NULL)
		snprintf(buf, len, "%s%s no limit", what, tag);
	else
		snprintf(buf, len, "%s%s %s %s", what, tag, dir, limit);
}

/* Which hierarchy the memory and pids limits were read from, and what. */
static void
say_cgroups(const struct machine *m, char *buf, size_t len)
{
	char mem[PATH_MAX + 64], pids[PATH_MAX + 64], limit[48], size[32];
	int hybrid = strcmp(m->hierarchy, "hybrid") == 0;

	if (m->memcg_version == 0 && m->pids_version == 0) {
		snprintf(buf, len, ", no memory or pids cgroup");
		return;
	}
	human(size, sizeof(size), m->memcg_limit);
	snprintf(limit, sizeof(limit), "limit %s", size);
	say_cgroup(mem, sizeof(mem), "memory", m->memcg_version, hybrid,
	    m->memcg, m->memcg_limit >= 0 ? limit : NULL);
	snprintf(limit, sizeof(limit), "max %lld", m->pids_max);
	say_cgroup(pids, sizeof(pids), "pids", m->pids_version, hybrid,
	    m->pids_cgroup, m->pids_max >= 0 ? limit : NULL);
	snprintf(buf, len, ", %s: %s, %s", m->hierarchy, mem, pids);
}

/* "budget: 1100 workers (hello 1000 x 4096 B + 50 KB, ...), 55 MB
 * reserved of 24 GB available, cgroup v2: memory /sys/fs/cgroup/a limit
 * 67 MB, pids no limit" */
void
ledger_summary(const struct ledger *l, const struct share *s, int nshares,
    char *buf, size_t len)
{
	char reserved[32], room[32], user[32], kernel[32];
	size_t n;
	int i;

	human(reserved, sizeof(reserved), l->reserved);
	human(room, sizeof(room), l->room);
	n = (size_t)snprintf(buf, len, "budget: %d workers (", l->workers);
	for (i = 0; i < nshares && n < len; i++) {
		human(user, sizeof(user), s[i].cost.user);
		human(kernel, sizeof(kernel),
		    ledger_worker_bytes(&s[i]) - s[i].cost.user);
		n += (size_t)snprintf(buf + n, len - n, "%s%s %d x %s user + %s "
		    "kernel", i ? ", " : "", s[i].name, s[i].granted, user, kernel);
	}
	if (n < len)
		n += (size_t)snprintf(buf + n, len - n, "), %s reserved of %s "
		    "available%s", reserved, room,
		    l->commit ? ", commit held" : "");
	if (n < len)
		say_cgroups(&l->m, buf + n, len - n);
}
