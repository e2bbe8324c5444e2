/*
 * reap.c - a worker's pidfd became readable: reap exactly that process with
 * waitid(P_PIDFD), in O(1) however many workers live (no waitpid(-1), no
 * ev_child: both scan every child).
 */
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "myriadd.h"

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

void
reap_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker *w = (struct worker *)io;
	struct state *st = ev_userdata(loop);
	struct service *svc = w->svc;
	int retired;
	siginfo_t si;

	(void)revents;
	/* Still a zombie: its group cannot be reused, take what is left. */
	if (st->stopping && w->pid > 1)
		(void)kill(-w->pid, SIGKILL);
	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, (id_t)io->fd, &si, WEXITED | WNOHANG) == -1) {
		if (errno == EINTR)
			return;
		log_warn("service '%s': waitid of worker %d", svc->conf->name,
		    (int)w->pid);
	} else if (si.si_pid == 0)
		return;
	else
		reap_log(w, &si);
	ev_io_stop(loop, io);
	(void)close(io->fd);
	ev_timer_stop(loop, &w->timer);
	retired = w->stopping;
	if (retired)
		svc->nretiring--;
	w->stopping = 0;
	w->retiring = 0;
	w->state = W_WAIT;
	svc->nlive--;
	st->live--;
	st->reaped++;
	worker_uncharge(st, svc);
	if (svc->conf->mode == MODE_POOL && !svc->removed && !st->stopping)
		pool_exited(st, w, retired);
	else
		worker_free(st, w);
	listen_fds_freed(st);
	if (st->stopping)
		stop_check(st);
}
