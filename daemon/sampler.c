/*
 * sampler.c - the threads that read workers' /proc files for footprint.c.
 * They run at SCHED_IDLE, on CPU time nothing else wants, so a sweep of
 * 10,000 workers (70 ms of reads, 170 ms the first time) takes nothing
 * from the data plane. The loop hands each a batch of pids and takes the
 * figures back once it says it is done: a thread touches no worker and no
 * libev state but the ev_async it signals.
 */
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "footprint.h"
#include "log.h"
#include "proc.h"

#define SAMPLER_STACK	(64 * 1024)
#define PROC_BUF	4096

/* One thread and what wakes it; only this file knows pthreads. */
struct sampler_thread {
	pthread_t	id;
	sem_t		todo;		/* posted: the batch is the thread's */
};

/* The number after "\nKEY" (KEY ends with ':'), 0 if absent. */
static unsigned
field(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	return p ? (unsigned)strtoul(p + strlen(key), NULL, 10) : 0;
}

/* Sums over the mappings of /proc/PID/smaps, and their number. */
struct smaps_sum {
	unsigned	rss_kb, pss_kb, priv_kb;
	int		vmas;
};

/* One line of smaps: a mapping's header, or one of its "Key: N kB". */
static void
smaps_line(struct smaps_sum *sum, const char *line)
{
	if ((*line >= '0' && *line <= '9') || (*line >= 'a' && *line <= 'f'))
		sum->vmas++;
	else if (strncmp(line, "Rss:", 4) == 0)
		sum->rss_kb += (unsigned)strtoul(line + 4, NULL, 10);
	else if (strncmp(line, "Pss:", 4) == 0)
		sum->pss_kb += (unsigned)strtoul(line + 4, NULL, 10);
	else if (strncmp(line, "Private_Clean:", 14) == 0)
		sum->priv_kb += (unsigned)strtoul(line + 14, NULL, 10);
	else if (strncmp(line, "Private_Dirty:", 14) == 0)
		sum->priv_kb += (unsigned)strtoul(line + 14, NULL, 10);
}

/*
 * smaps, read in pieces (a foreign worker may have many mappings): one
 * file for what smaps_rollup and maps give, for a fifth less. A line
 * longer than the buffer (a long path in a header) is cut, and counted.
 */
static int
smaps_read(pid_t pid, int vsyscall, struct smaps_sum *sum)
{
	char path[PROC_PATH_MAX], buf[PROC_BUF + 1], *line, *nl;
	size_t have = 0;
	ssize_t n;
	int fd;

	memset(sum, 0, sizeof(*sum));
	proc_path(path, pid, "smaps");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((n = read(fd, buf + have, PROC_BUF - have)) > 0) {
		have += (size_t)n;
		buf[have] = '\0';
		for (line = buf; (nl = strchr(line, '\n')) != NULL;
		    line = nl + 1) {
			*nl = '\0';
			smaps_line(sum, line);
		}
		have -= (size_t)(line - buf);
		if (have == PROC_BUF) {
			smaps_line(sum, buf);
			have = 0;
		} else
			memmove(buf, line, have);
	}
	(void)close(fd);
	if (n == -1 || sum->vmas == 0)
		return -1;
	sum->vmas -= vsyscall;
	return 0;
}

/*
 * One worker's figures: smaps_rollup (Rss, Pss, Private_*, the kernel's
 * own), or smaps and status (VmPTE) when asked or when Rss or private
 * bytes moved. A zombie has no mm: its reads are empty and the item stays
 * not ok.
 */
static void
read_item(struct fp_item *it, int vsyscall)
{
	char buf[PROC_BUF];
	struct smaps_sum sum;

	it->ok = 0;
	if (!it->detail) {
		if (proc_read(it->pid, "smaps_rollup", buf, sizeof(buf)) == -1)
			return;
		sum.rss_kb = field(buf, "\nRss:");
		sum.pss_kb = field(buf, "\nPss:");
		sum.priv_kb = field(buf, "\nPrivate_Clean:") +
		    field(buf, "\nPrivate_Dirty:");
		it->detail = sum.rss_kb != it->rss_kb ||
		    sum.priv_kb != it->priv_kb;
	}
	if (it->detail) {
		if (smaps_read(it->pid, vsyscall, &sum) == -1 ||
		    proc_read(it->pid, "status", buf, sizeof(buf)) == -1)
			return;
		it->pte_kb = field(buf, "\nVmPTE:");
		it->vmas = sum.vmas > 0xffff ? 0xffff : (unsigned)sum.vmas;
	}
	it->rss_kb = sum.rss_kb;
	it->pss_kb = sum.pss_kb;
	it->priv_kb = sum.priv_kb;
	it->ok = 1;
}

static void *
sampler_main(void *arg)
{
	struct fp_batch *b = arg;
	int i;

	for (;;) {
		while (sem_wait(&b->thread->todo) == -1)
			;
		for (i = 0; i < b->nitems; i++)
			read_item(&b->item[i], b->s->vsyscall);
		__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
		ev_async_send(b->s->loop, &b->s->done);
	}
	return NULL;
}

/* [vsyscall] is listed by every process, or by none. */
static int
has_vsyscall(void)
{
	char buf[PROC_BUF];
	int fd, found = 0;
	ssize_t n;

	if ((fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		found |= strstr(buf, "[vsyscall]") != NULL;
	}
	(void)close(fd);
	return found;
}

/*
 * Start the threads, their signals blocked (the loop's signalfds have
 * them), at SCHED_IDLE; done is the loop's ev_async for a finished batch.
 */
void
sampler_start(struct sampler *s, struct ev_loop *loop)
{
	struct sched_param none = { 0 };
	struct fp_batch *b;
	pthread_attr_t attr;
	sigset_t all, old;
	int i, err;

	s->loop = loop;
	s->vsyscall = has_vsyscall();
	sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	if ((err = pthread_attr_init(&attr)) != 0 ||
	    (err = pthread_attr_setstacksize(&attr, SAMPLER_STACK)) != 0)
		goto fail;
	for (i = 0; i < SAMPLER_THREADS; i++) {
		b = &s->batch[i];
		b->s = s;
		if ((b->thread = calloc(1, sizeof(*b->thread))) == NULL ||
		    sem_init(&b->thread->todo, 0, 0) == -1) {
			err = errno;
			goto fail;
		}
		if ((err = pthread_create(&b->thread->id, &attr, sampler_main,
		    b)) != 0)
			goto fail;
		if ((err = pthread_setschedparam(b->thread->id, SCHED_IDLE,
		    &none)) != 0)
			log_warnx("footprint sampler: SCHED_IDLE: %s",
			    strerror(err));
	}
	(void)pthread_attr_destroy(&attr);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	return;
fail:
	errno = err;
	fatal("unable to start the footprint sampler");
}

/* Hand the thread its batch's nitems; done fires when it is through. */
void
sampler_post(struct fp_batch *b)
{
	b->busy = 1;
	(void)sem_post(&b->thread->todo);
}
