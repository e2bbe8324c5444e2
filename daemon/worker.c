/*
 * worker.c - one worker slot's life: start its process, stop it (TERM,
 * then KILL after the grace period), and count and report its spawn
 * failures, at most one line a second per service.
 */
#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <string.h>

#include "capacity/ledger.h"
#include "conf.h"
#include "env.h"
#include "log.h"
#include "service.h"
#include "spawn.h"
#include "state.h"
#include "table.h"
#include "timer.h"
#include "worker.h"

void
worker_signal(struct worker *w, int sig)
{
	/*
	 * Only a process not yet reaped is signalled: neither its pid nor
	 * its group can be another process's.
	 */
	if (!WORKER_PROCESS(w) || w->pid <= 1)
		return;
	(void)kill(-w->pid, sig);
	(void)kill(w->pid, sig);
}

/* The grace period is over: KILL what is left of it. */
static void
grace_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker *w = worker_of_timer(t);

	(void)loop;
	(void)revents;
	log_debug("service '%s': killing worker %d", w->svc->conf->name,
	    (int)w->pid);
	worker_signal(w, SIGKILL);
}

/* A spawn-mode worker reached its service's timeout. */
static void
deadline_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker *w = worker_of_timer(t);

	(void)revents;
	log_debug("service '%s': worker %d timed out, stopping it",
	    w->svc->conf->name, (int)w->pid);
	worker_stop(ev_userdata(loop), w);
}

/* Move w to state s, and the counts that follow from states with it. */
void
worker_enter(struct state *st, struct worker *w, enum wstate s)
{
	struct service *svc = w->svc;
	int was_process = WORKER_PROCESS(w), was_told = WORKER_TOLD_TO_STOP(w);

	w->state = (unsigned char)s;
	svc->nlive += WORKER_PROCESS(w) - was_process;
	st->counts.live += WORKER_PROCESS(w) - was_process;
	svc->nretiring += WORKER_TOLD_TO_STOP(w) - was_told;
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
	ev_init(&w->timer, deadline_cb);
	svc->nslots++;
	return w;
}

/* Return a slot whose process, if any, is reaped; follow-ups: service.c. */
void
worker_free(struct state *st, struct worker *w)
{
	ev_timer_stop(st->loop, &w->timer);
	source_put(&w->svc->sources, w->source);
	w->svc->nslots--;
	table_put(st, w);
}

/*
 * A one-page program replaced on disk since it was priced must still fit
 * that price; looked at COST_RECHECK_S apart, as a stat costs 1.4 us, 8 %
 * of the daemon's time per spawn. Its limits hold any program exec'd
 * meanwhile to it.
 */
static int
worker_priced(struct state *st, struct service *svc)
{
	struct cost *c = &svc->conf->share.cost;
	ev_tstamp now = ev_now(st->loop);

	if (!c->one_page)
		return 1;
	if (now - c->checked >= COST_RECHECK_S) {
		c->checked = now;
		c->outgrown = cost_still(svc->conf->path, c) == -1;
	}
	if (c->outgrown)
		worker_failed(st, svc, "changed since it was priced, and "
		    "outgrew it: reload to price it again", 0);
	return !c->outgrown;
}

/*
 * Start w's process with fd as fd 0, and as fd 1 in spawn mode, where
 * peer is the client's address. The exec's outcome comes to
 * worker_exec_done; -1 if the clone itself failed or the program
 * outgrew its price, or with EAGAIN if no spawn slot came free (not
 * counted: the stuck children are).
 */
int
worker_start(struct state *st, struct worker *w, int fd,
    const struct sockaddr_storage *peer)
{
	struct service *svc = w->svc;
	struct spawn_fds fds;
	struct spawn_slot *s;
	pid_t pid;

	if (!worker_priced(st, svc))
		return -1;
	/* Every slot holds a child not exec'd yet: not svc's failure. */
	if ((s = spawn_slot(st)) == NULL) {
		errno = EAGAIN;
		return -1;
	}
	w->started = ev_now(st->loop);
	ledger_take(&st->ledger, svc->conf->share.cost.commit);
	s->envp = peer ? env_build(s, svc->conf, fd, peer,
	    source_count(&svc->sources, w->source)) : svc->conf->envp;
	fds.conn = fd;
	fds.waiter = svc->conf->mode == MODE_POOL ? svc->lis.waiter : -1;
	fds.err = svc->conf->stderr_null ? -1 : svc->log.peer;
	pid = spawn_start(st, s, w, svc->conf, &fds);
	if (pid == -1) {
		worker_failed(st, svc, "clone", errno);
		worker_uncharge(st, svc);
		return -1;
	}
	w->pid = pid;
	worker_enter(st, w, W_SPAWNING);
	table_add_pid(st, w);
	if (svc->conf->mode == MODE_SPAWN && svc->conf->timeout > 0)
		timer_arm(st->loop, &w->timer, deadline_cb,
		    svc->conf->timeout);
	return 0;
}

/* The child exec'd (err 0) or failed at step before it could. */
void
worker_exec_done(struct state *st, struct worker *w, int err,
    const char *step)
{
	struct service *svc = w->svc;

	if (err == 0) {
		if (w->state == W_SPAWNING)
			worker_enter(st, w, W_LIVE);
		svc->spawned++;
		st->counts.spawned++;
		log_debug("service '%s': worker %d started", svc->conf->name,
		    (int)w->pid);
		return;
	}
	/* The child exits 127; the reaper gives its slot back. */
	worker_enter(st, w, W_FAILED);
	worker_failed(st, svc, step, err);
}

/*
 * Give a worker's commit back to the ledger. Under strict overcommit
 * another process may have taken it meanwhile: then the service admits
 * one worker less until the commit is back (service.c retries), rather
 * than a spawn failing later.
 */
void
worker_uncharge(struct state *st, struct service *svc)
{
	if (ledger_give(&st->ledger, svc->conf->share.cost.commit) == 0)
		return;
	svc->unbacked++;
	log_limited(&svc->spawn_warning, ev_now(st->loop), 0,
	    "service '%s': commit taken by another process: %d workers "
	    "until it is back", svc->conf->name, service_workers(svc));
}

/* TERM the worker's process group (CONT too, if stopped), KILL later. */
void
worker_stop(struct state *st, struct worker *w)
{
	switch (w->state) {
	case W_SPAWNING:
	case W_LIVE:
	case W_RETIRING:
	case W_HALTED:
		break;
	default:		/* no process, one exiting, or one stopping */
		return;
	}
	worker_enter(st, w, W_STOPPING);
	worker_signal(w, SIGTERM);
	worker_signal(w, SIGCONT);
	timer_arm(st->loop, &w->timer, grace_cb, st->conf->grace);
}

/*
 * w was reaped, killed by a signal the daemon did not send, within
 * SPAWN_EARLY_S of its clone. A SIGSEGV then is most likely an exec that
 * failed after the point of no return (its ELF larger than its limits),
 * which the kernel ends so: a spawn failure, not a worker spawned and
 * reaped. Any other such signal (a kill -9 of a new worker) is logged
 * at the default level. Returns 1 if w failed to spawn.
 */
int
worker_died_starting(struct state *st, struct worker *w, const siginfo_t *si)
{
	struct service *svc = w->svc;
	double ran = ev_now(st->loop) - w->started;
	const char *name = sigabbrev_np(si->si_status);
	int failed = si->si_status == SIGSEGV || si->si_status == SIGBUS;

	if (w->state != W_LIVE || ran >= SPAWN_EARLY_S ||
	    (si->si_code != CLD_KILLED && si->si_code != CLD_DUMPED))
		return 0;
	log_limited(&svc->spawn_warning, ev_now(st->loop), 0,
	    "service '%s': %s%s: worker %d killed by SIG%s %.1f ms after its "
	    "start", svc->conf->name, failed ? "unable to spawn " : "",
	    svc->conf->path, (int)w->pid, name ? name : "?", ran * 1000);
	if (!failed)
		return 0;
	svc->spawned--;
	st->counts.spawned--;
	worker_enter(st, w, W_FAILED);
	st->counts.failed++;
	svc->failed++;
	return 1;
}

void
worker_failed(struct state *st, struct service *svc, const char *step,
    int err)
{
	st->counts.failed++;
	svc->failed++;
	log_limited(&svc->spawn_warning, ev_now(st->loop), err,
	    "service '%s': unable to spawn %s: %s", svc->conf->name,
	    svc->conf->path, step);
}
