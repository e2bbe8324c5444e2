/*
 * worker.c - one worker slot's life: start its process, stop it (TERM,
 * then KILL after the grace period), and report spawn failures, at most
 * one line a second per service.
 */
#include <sys/pidfd.h>
#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <string.h>

#include "log.h"
#include "myriadd.h"

void
worker_signal(struct worker *w, int sig)
{
	/* The pid is not reaped yet, so neither it nor its group is reused. */
	if (w->pid > 1)
		(void)kill(-w->pid, sig);
	(void)pidfd_send_signal(w->io.fd, sig, NULL, 0);
}

static void
worker_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker *w = (struct worker *)((char *)t -
	    offsetof(struct worker, timer));
	struct state *st = ev_userdata(loop);

	(void)revents;
	if (w->state == W_WAIT)
		pool_due(st, w);
	else if (w->retiring)
		retire_poll(st, w);
	else if (!w->stopping) {
		log_debug("service '%s': worker %d timed out, stopping it",
		    w->svc->conf->name, (int)w->pid);
		worker_stop(st, w);
	} else {
		log_debug("service '%s': killing worker %d",
		    w->svc->conf->name, (int)w->pid);
		worker_signal(w, SIGKILL);
	}
}

/* Arm the slot's timer: kill deadline of a live worker, or respawn delay. */
void
worker_timer(struct state *st, struct worker *w, double after)
{
	ev_timer_stop(st->loop, &w->timer);
	ev_timer_set(&w->timer, after > 0 ? after : 0, 0);
	ev_timer_start(st->loop, &w->timer);
}

/* A slot for svc, or NULL: the table is sized so that this cannot fail. */
struct worker *
worker_new(struct state *st, struct service *svc)
{
	struct worker *w;

	if ((w = table_take(st)) == NULL) {
		log_warnx("service '%s': no free worker slot (%d in use)",
		    svc->conf->name, st->table.used);
		return NULL;
	}
	w->svc = svc;
	ev_init(&w->timer, worker_timer_cb);
	svc->nslots++;
	return w;
}

/* Return a slot whose process, if any, is reaped. */
void
worker_free(struct state *st, struct worker *w)
{
	struct service *svc = w->svc;

	ev_timer_stop(st->loop, &w->timer);
	table_put(st, w);
	svc->nslots--;
	if (svc->removed) {
		if (svc->nslots == 0)
			service_free(st, svc);
	} else if (svc->conf->mode == MODE_SPAWN)
		listen_resume(st, svc);
}

/* Start w's process with fd as fd 0; on failure the slot stays W_WAIT. */
int
worker_start(struct state *st, struct worker *w, int fd, char **envp)
{
	struct service *svc = w->svc;
	int pidfd;
	pid_t pid;

	w->started = ev_now(st->loop);
	ledger_take(&st->ledger, svc->conf->share.cost.commit);
	if ((pid = spawn_exec(st, svc->conf, fd, envp, &pidfd)) == -1) {
		worker_failed(st, svc, st->req.step, errno);
		worker_uncharge(st, svc);
		return -1;
	}
	w->pid = pid;
	w->state = W_LIVE;
	w->stopping = 0;
	ev_io_init(&w->io, reap_cb, pidfd, EV_READ);
	ev_io_start(st->loop, &w->io);
	svc->nlive++;
	svc->spawned++;
	st->live++;
	st->spawned++;
	if (svc->conf->mode == MODE_SPAWN && svc->conf->timeout > 0)
		worker_timer(st, w, svc->conf->timeout);
	log_debug("service '%s': worker %d started", svc->conf->name,
	    (int)pid);
	return 0;
}

/*
 * Give a worker's commit back to the ledger. Under strict overcommit
 * another process may have taken it meanwhile: then the service is
 * promised one worker less, rather than a spawn failing later.
 */
void
worker_uncharge(struct state *st, struct service *svc)
{
	if (ledger_give(&st->ledger, svc->conf->share.cost.commit) == 0)
		return;
	if (svc->conf->workers > 0)
		svc->conf->workers--;
	log_warnx("service '%s': commit taken by another process, now %d "
	    "workers", svc->conf->name, svc->conf->workers);
}

/* TERM the worker's process group (CONT too, if stopped), KILL later. */
void
worker_stop(struct state *st, struct worker *w)
{
	if (w->state != W_LIVE || (w->stopping && !w->retiring))
		return;
	if (!w->stopping)
		w->svc->nretiring++;
	w->stopping = 1;
	w->retiring = 0;
	worker_signal(w, SIGTERM);
	worker_signal(w, SIGCONT);
	worker_timer(st, w, st->conf->grace);
}

void
worker_failed(struct state *st, struct service *svc, const char *step,
    int err)
{
	ev_tstamp now = ev_now(st->loop);

	st->failed++;
	svc->failed++;
	if (now - svc->warned < 1.0) {
		svc->suppressed++;
		return;
	}
	if (svc->suppressed)
		log_warnx("service '%s': unable to spawn %s: %s: %s "
		    "(%ld more failures)", svc->conf->name, svc->conf->path,
		    step, strerror(err), svc->suppressed);
	else
		log_warnx("service '%s': unable to spawn %s: %s: %s",
		    svc->conf->name, svc->conf->path, step, strerror(err));
	svc->warned = now;
	svc->suppressed = 0;
}
