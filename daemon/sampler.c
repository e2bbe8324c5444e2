/*
 * sampler.c - the thread that reads workers' /proc files for footprint.c.
 * It runs at SCHED_IDLE, on CPU time nothing else wants, so a sweep of
 * 10,000 workers (~70 ms of reads) takes nothing from the data plane.
 * The loop hands it a batch of pids and takes the figures back once it
 * says it is done: the thread touches no worker and no libev state but
 * the ev_async it signals.
 */
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "myriadd.h"

#define SAMPLER_STACK	(64 * 1024)
#define PROC_BUF	4096

/* The number after "\nKEY" (KEY ends with ':'), 0 if absent. */
static unsigned
field(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	return p ? (unsigned)strtoul(p + strlen(key), NULL, 10) : 0;
}

/* Lines of /proc/PID/maps, read in pieces: a foreign worker may have many. */
static int
maps_count(pid_t pid, int vsyscall)
{
	char path[PROC_PATH_MAX], buf[PROC_BUF];
	ssize_t n, i;
	int fd, lines = 0;

	proc_path(path, pid, "maps");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	(void)close(fd);
	return n == -1 ? -1 : lines - (lines > 0 ? vsyscall : 0);
}

/*
 * One worker's figures: smaps_rollup (Rss, Pss, Private_*, the kernel's
 * own), status (VmPTE) and maps when asked or when Rss or private bytes
 * moved, syscall for a pool worker. A zombie has no mm: its read is
 * empty and the item stays not ok.
 */
static void
read_item(struct fp_item *it, int vsyscall)
{
	char buf[PROC_BUF];
	unsigned rss, priv;
	int vmas;

	it->ok = 0;
	if (proc_read(it->pid, "smaps_rollup", buf, sizeof(buf)) == -1)
		return;
	rss = field(buf, "\nRss:");
	priv = field(buf, "\nPrivate_Clean:") + field(buf, "\nPrivate_Dirty:");
	it->pss_kb = field(buf, "\nPss:");
	if (it->detail || rss != it->rss_kb || priv != it->priv_kb) {
		if (proc_read(it->pid, "status", buf, sizeof(buf)) == -1 ||
		    (vmas = maps_count(it->pid, vsyscall)) == -1)
			return;
		it->pte_kb = field(buf, "\nVmPTE:");
		it->vmas = vmas > 0xffff ? 0xffff : (unsigned)vmas;
		it->detail = 1;
	}
	it->rss_kb = rss;
	it->priv_kb = priv;
	it->idle = it->pool && proc_waiting(it->pid);
	it->ok = 1;
}

static void *
sampler_main(void *arg)
{
	struct sampler *s = arg;
	int i;

	for (;;) {
		while (sem_wait(&s->todo) == -1)
			;
		for (i = 0; i < s->nitems; i++)
			read_item(&s->item[i], s->vsyscall);
		ev_async_send(s->loop, &s->done);
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
 * Start the thread, its signals blocked (the loop's signalfds have them),
 * at SCHED_IDLE; done is the loop's ev_async for a finished batch.
 */
void
sampler_start(struct sampler *s, struct ev_loop *loop)
{
	struct sched_param none = { 0 };
	pthread_attr_t attr;
	sigset_t all, old;
	int err;

	s->loop = loop;
	s->vsyscall = has_vsyscall();
	if (sem_init(&s->todo, 0, 0) == -1)
		fatal("sampler");
	sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	if ((err = pthread_attr_init(&attr)) != 0 ||
	    (err = pthread_attr_setstacksize(&attr, SAMPLER_STACK)) != 0 ||
	    (err = pthread_create(&s->thread, &attr, sampler_main, s)) != 0) {
		errno = err;
		fatal("unable to start the footprint sampler");
	}
	(void)pthread_attr_destroy(&attr);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if ((err = pthread_setschedparam(s->thread, SCHED_IDLE, &none)) != 0)
		log_warnx("footprint sampler: SCHED_IDLE: %s", strerror(err));
}

/* Hand the thread the nitems of item[]; done fires when it is through. */
void
sampler_post(struct sampler *s)
{
	s->busy = 1;
	(void)sem_post(&s->todo);
}
