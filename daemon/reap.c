/*
 * reap.c - reap exactly the workers that exited, in O(1) however many
 * live. The kernel's exit events (exitev.c) name each pid that exited,
 * and waitid(P_PID) reaps it: no waitpid(-1), no ev_child, which scan
 * every child, and no pidfd, which costs a file per worker. Where the
 * events are not to be had (no CAP_NET_ADMIN, a namespace) or some were
 * lost, SIGCHLD and a timer make the reaper scan: O(children) a zombie.
 */
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "reap.h"
#include "service.h"
#include "spawn.h"
#include "state.h"
#include "stop.h"
#include "table.h"
#include "worker.h"

static void
reap_log(struct worker *w, const siginfo_t *si)
{
	const char *name = w->svc->conf->name;

	if (si->si_code == CLD_EXITED)
		log_debug("service '%s': worker %d exited %d", name,
		    (int)w->pid, si->si_status);
	else
		log_debug("service '%s': worker %d killed by signal %d", name,
		    (int)w->pid, si->si_status);
}

/* w's process is reaped: the service decides what becomes of its slot. */
static void
reap_worker(struct state *st, struct worker *w, const siginfo_t *si)
{
	spawn_settle(st, w);
	reap_log(w, si);
	table_del_pid(st, w);
	service_worker_exited(st, w, si);
	if (st->stopping)
		stop_check(st);
}

/* pid exited: reap it if it is a worker's process and a zombie now. */
static void
reap_pid(void *arg, pid_t pid)
{
	struct state *st = arg;
	struct worker *w;
	siginfo_t si;

	if ((w = table_find_pid(st, pid)) == NULL)
		return;
	/* Still a zombie: its group cannot be reused, take what is left. */
	if (st->stopping)
		(void)kill(-pid, SIGKILL);
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | __WALL) == 0 &&
	    si.si_pid == pid)
		reap_worker(st, w, &si);
}

/* Reap every zombie child: each waitid walks the children, O(children). */
static int
reap_scan(struct state *st)
{
	struct worker *w;
	siginfo_t si;
	int n = 0;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | __WALL) == -1 ||
		    si.si_pid == 0)
			return n;
		n++;
		if ((w = table_find_pid(st, si.si_pid)) != NULL)
			reap_worker(st, w, &si);
	}
}

static void
events_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct state *st = ev_userdata(loop);
	int n, i;

	(void)revents;
	for (i = 0; i < EXITS_BATCHES; i++) {
		if ((n = exitev_read(io->fd, st->pid, reap_pid, st)) > 0)
			continue;
		if (n == -1 && errno == ENOBUFS) {
			st->reaper.exit_scans++;
			(void)reap_scan(st);
		} else if (n == -1 && errno != EINTR)
			log_warn("reading exit events");
		return;
	}
}

static void
sigchld_cb(struct ev_loop *loop, ev_signal *sig, int revents)
{
	(void)sig;
	(void)revents;
	(void)reap_scan(ev_userdata(loop));
}

/* The events' safety net: a zombie every REAP_SWEEP_S is found anyway. */
static void
sweep_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct state *st = ev_userdata(loop);

	(void)t;
	(void)revents;
	if (st->counts.live == 0)
		return;
	events_cb(loop, &st->reaper.exits, 0);
	if (reap_scan(st) > 0)
		st->reaper.exit_scans++;
}

/* Exit events if the kernel gives them to this process, else SIGCHLD. */
void
reap_init(struct state *st)
{
	struct reaper *r = &st->reaper;
	int fd;

	if ((fd = exitev_open()) == -1) {
		log_info("reaping by scanning the children on SIGCHLD: no exit "
		    "events (%s)", strerror(errno));
		ev_signal_init(&r->sigchld, sigchld_cb, SIGCHLD);
		ev_signal_start(st->loop, &r->sigchld);
		return;
	}
	ev_io_init(&r->exits, events_cb, fd, EV_READ);
	ev_io_start(st->loop, &r->exits);
	ev_timer_init(&r->sweep, sweep_cb, REAP_SWEEP_S, REAP_SWEEP_S);
	ev_timer_start(st->loop, &r->sweep);
}
