/*
 * worker.c - one worker slot's life: start its process, stop it (TERM,
 * then KILL after the grace period), and report spawn failures, at most
 * one line a second per service.
 */
#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <string.h>

#include "log.h"
#include "myriadd.h"

void
worker_signal(struct worker *w, int sig)
{
	/*
	 * Only a live worker is signalled: its pid is not reaped yet, so
	 * neither the pid nor its group can be another process's.
	 */
	if (w->state != W_LIVE || w->pid <= 1)
		return;
	(void)kill(-w->pid, sig);
	(void)kill(w->pid, sig);
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

/*
 * Start w's process with fd as fd 0, and as fd 1 in spawn mode, where
 * peer is the client's address. The exec's outcome comes to
 * worker_exec_done; -1 if the clone itself failed.
 */
int
worker_start(struct state *st, struct worker *w, int fd,
    const struct sockaddr_storage *peer)
{
	struct service *svc = w->svc;
	struct spawn_slot *s;
	pid_t pid;

	w->started = ev_now(st->loop);
	w->failed = 0;
	ledger_take(&st->ledger, svc->conf->share.cost.commit);
	s = spawn_slot(st);
	s->envp = peer ? env_build(s, svc, fd, peer) : svc->conf->envp;
	if ((pid = spawn_start(st, s, w, fd)) == -1) {
		worker_failed(st, svc, "clone", errno);
		worker_uncharge(st, svc);
		return -1;
	}
	w->pid = pid;
	w->state = W_LIVE;
	w->stopping = 0;
	table_add_pid(st, w);
	svc->nlive++;
	st->live++;
	if (svc->conf->mode == MODE_SPAWN && svc->conf->timeout > 0)
		worker_timer(st, w, svc->conf->timeout);
	return 0;
}

/* The child exec'd (err 0) or failed at step before it could. */
void
worker_exec_done(struct state *st, struct worker *w, int err,
    const char *step)
{
	struct service *svc = w->svc;

	if (err == 0) {
		svc->spawned++;
		st->spawned++;
		log_debug("service '%s': worker %d started", svc->conf->name,
		    (int)w->pid);
		return;
	}
	/* The child exits 127; the reaper gives its slot back. */
	w->failed = 1;
	worker_failed(st, svc, step, err);
	if (svc->conf->mode == MODE_SPAWN && !svc->removed)
		listen_pause(st, svc, SPAWN_BACKOFF_S);
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
