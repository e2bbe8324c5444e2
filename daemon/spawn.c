/*
 * spawn.c - start workers without waiting for their exec: clone(CLONE_VM|
 * CLONE_FILES|CLONE_CHILD_CLEARTID) on one of SPAWN_SLOTS preallocated
 * stacks, so up to SPAWN_SLOTS children run their steps (child.c) and
 * exec on the other CPUs while the daemon goes on. A slot is released
 * twice: its hand-over fd once the child has its own fd table (the child
 * says so in the slot's phase word), its stack and request once the
 * kernel clears that word at the child's exec or exit.
 */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spawn.h"
#include "state.h"
#include "timer.h"
#include "worker.h"

#define STACK_BYTES	(16 * 1024)	/* child.c needs well under 1 KiB */
#define GUARD_BYTES	4096

static void	tick_arm(struct state *);

static void
release_cb(struct ev_loop *loop, ev_prepare *p, int revents)
{
	(void)p;
	(void)revents;
	spawn_collect(ev_userdata(loop), SPAWN_RELEASE);
}

/*
 * The stacks, each above a guard page, and the slots' fixed parts; done
 * is told of every exec's outcome.
 */
int
spawn_init(struct state *st, void (*done)(struct state *, struct worker *,
    int, const char *))
{
	struct spawner *sp = &st->spawner;
	struct spawn_slot *s;
	char *base;
	int i;

	sp->done = done;
	sp->stacks_len = SPAWN_SLOTS * (GUARD_BYTES + STACK_BYTES);
	sp->stacks = mmap(NULL, sp->stacks_len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (sp->stacks == MAP_FAILED)
		return -1;
	for (i = 0; i < SPAWN_SLOTS; i++) {
		s = &sp->slot[i];
		base = sp->stacks + i * (GUARD_BYTES + STACK_BYTES);
		if (mprotect(base, GUARD_BYTES, PROT_NONE) == -1)
			return -1;
		s->stack_top = base + GUARD_BYTES + STACK_BYTES;
		/* Touch what the child uses, so no spawn takes a fault. */
		s->stack_top[-1] = 0;
		s->fd = HANDOVER_FD + i;
		s->wfd = WAITER_FD + i;
		s->efd = STDERR_FD + i;
		s->parent = st->pid;
	}
	ev_prepare_init(&sp->release, release_cb);
	ev_prepare_start(st->loop, &sp->release);
	ev_init(&sp->tick, NULL);
	return 0;
}

/* The child has its own fd table: the daemon's slot fds go back. */
static void
slot_release(struct spawn_slot *s)
{
	(void)dup2(NULL_FD, s->fd);
	if (s->waiter)
		(void)dup2(NULL_FD, s->wfd);
	(void)dup2(NULL_FD, s->efd);
	s->held = 0;
}

/* Sleep until *word is no longer value, or seconds have passed. */
static void
futex_wait(int *word, int value, double seconds)
{
	struct timespec ts;

	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	(void)syscall(SYS_futex, word, FUTEX_WAIT, value, &ts, NULL, 0);
}

/* A child worth waiting for: one stopped or stuck must not stop the loop. */
static int
slot_young(const struct spawn_slot *s, ev_tstamp now)
{
	return !s->killed && now - s->cloned < SPAWN_YOUNG_S;
}

static int
conf_in_flight(const struct spawner *sp, const struct svc_conf *sc)
{
	int i;

	for (i = 0; i < SPAWN_SLOTS; i++)
		if (sp->slot[i].w != NULL && sp->slot[i].sc == sc)
			return 1;
	return 0;
}

/* The configs a child in flight read are freed once the last one left. */
static void
retired_sweep(struct spawner *sp)
{
	int i;

	for (i = 0; i < sp->nretired; i++)
		if (!conf_in_flight(sp, sp->retired[i])) {
			free(sp->retired[i]);
			sp->retired[i--] = sp->retired[--sp->nretired];
		}
}

/*
 * Look at one slot, waiting a moment if asked: drop the daemon's
 * reference to the connection once the child has its own, free the slot
 * once the child left the daemon's memory, and tell the worker how its
 * exec went.
 */
static void
slot_collect(struct state *st, struct spawn_slot *s, enum spawn_wait how)
{
	struct worker *w = s->w;
	const char *step;
	int phase, err;

	if (w == NULL)
		return;
	phase = __atomic_load_n(&s->phase, __ATOMIC_ACQUIRE);
	if (phase == SLOT_CLONED && how == SPAWN_RELEASE &&
	    slot_young(s, ev_now(st->loop))) {
		futex_wait(&s->phase, SLOT_CLONED, SPAWN_WAIT_S);
		phase = __atomic_load_n(&s->phase, __ATOMIC_ACQUIRE);
	}
	if (s->held && phase != SLOT_CLONED)
		slot_release(s);
	if (phase != SLOT_GONE)
		return;
	s->w = NULL;
	st->spawner.busy--;
	w->spawn_slot = 0;
	if (st->spawner.nretired > 0)
		retired_sweep(&st->spawner);
	/* What the child wrote, else the deadline's kill. */
	err = s->err;
	step = s->step;
	if (err == 0 && s->killed) {
		err = ETIMEDOUT;
		step = "exec deadline";
	}
	/*
	 * The one call back up the layers: the outcome goes to the service
	 * (service_exec_done), which tells the worker and follows up.
	 */
	st->spawner.done(st, w, err, step);
}

/* Collect every slot in flight (the loop's prepare, its tick). */
void
spawn_collect(struct state *st, enum spawn_wait how)
{
	int i;

	for (i = 0; i < SPAWN_SLOTS && st->spawner.busy > 0; i++)
		slot_collect(st, &st->spawner.slot[i], how);
}

/*
 * w's process was reaped: the kernel cleared its slot's word before it
 * became a zombie (at its exec or in its exit), so a poll frees the slot.
 */
void
spawn_settle(struct state *st, struct worker *w)
{
	if (w->spawn_slot == 0)
		return;
	slot_collect(st, &st->spawner.slot[w->spawn_slot - 1], SPAWN_POLL);
	if (w->spawn_slot != 0)
		fatalx_code(EXIT_BUG, "pid %d reaped in its spawn slot",
		    (int)w->pid);
}

/*
 * sc is no longer its service's: free it now, or once no child in flight
 * reads it (a reload does not wait for their exec). Each retired config
 * is read by a slot of its own, so SPAWN_SLOTS of them at most.
 */
void
spawn_conf_free(struct state *st, struct svc_conf *sc)
{
	struct spawner *sp = &st->spawner;

	if (!conf_in_flight(sp, sc))
		free(sc);
	else
		sp->retired[sp->nretired++] = sc;
}

/* Kill the children not exec'd by their deadline: their spawns failed. */
static void
slots_expire(struct state *st)
{
	struct spawn_slot *s;
	ev_tstamp now = ev_now(st->loop);
	int i;

	for (i = 0; i < SPAWN_SLOTS; i++) {
		s = &st->spawner.slot[i];
		if (s->w == NULL || s->killed ||
		    now - s->cloned < SPAWN_DEADLINE_S)
			continue;
		s->killed = 1;
		/* Not reaped while the slot holds it: still our child. */
		(void)kill(s->pid, SIGKILL);
	}
}

static void
tick_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct state *st = ev_userdata(loop);

	(void)t;
	(void)revents;
	spawn_collect(st, SPAWN_POLL);
	slots_expire(st);
	tick_arm(st);
}

/*
 * Keep the loop turning while children are in flight: their exec's
 * outcome is in memory only, and the ready line and the deadline wait
 * for it.
 */
static void
tick_arm(struct state *st)
{
	struct spawner *sp = &st->spawner;
	ev_tstamp now = ev_now(st->loop);
	double after = SPAWN_SLOW_POLL_S;
	int i;

	if (sp->busy == 0) {
		ev_timer_stop(st->loop, &sp->tick);
		return;
	}
	for (i = 0; i < SPAWN_SLOTS; i++)
		if (sp->slot[i].w != NULL && slot_young(&sp->slot[i], now))
			after = SPAWN_POLL_S;
	timer_arm(st->loop, &sp->tick, tick_cb, after);
}

/*
 * A free slot. With all in flight, wait for the oldest young child to
 * exec, a moment at a time; NULL if none came free, as when every slot
 * holds a child stuck before its exec.
 */
struct spawn_slot *
spawn_slot(struct state *st)
{
	struct spawner *sp = &st->spawner;
	struct spawn_slot *s, *oldest;
	int i, n, phase;

	for (;;) {
		oldest = NULL;
		for (n = 0; n < SPAWN_SLOTS; n++) {
			i = (sp->next + n) % SPAWN_SLOTS;
			s = &sp->slot[i];
			slot_collect(st, s, SPAWN_POLL);
			if (s->w == NULL) {
				sp->next = (i + 1) % SPAWN_SLOTS;
				return s;
			}
			if (oldest == NULL && slot_young(s, ev_time()))
				oldest = s;
		}
		if (oldest == NULL)
			return NULL;
		phase = __atomic_load_n(&oldest->phase, __ATOMIC_ACQUIRE);
		if (phase != SLOT_GONE)
			futex_wait(&oldest->phase, phase, SPAWN_WAIT_S);
	}
}

/* What the ledger charged is what the worker may take (ledger.c). */
static void
slot_limits(struct state *st, struct spawn_slot *s, const struct svc_conf *sc)
{
	const struct cost *c = &sc->share.cost;
	rlim_t nofile = (rlim_t)sc->nofile;

	if (nofile > st->nofile.rlim_max)
		nofile = st->nofile.rlim_max;
	s->nofile.rlim_cur = s->nofile.rlim_max = nofile;
	s->stack.rlim_cur = s->stack.rlim_max = c->one_page ?
	    COST_EXEC_STACK : 0;
	s->data.rlim_cur = s->data.rlim_max = (rlim_t)c->user;
	s->as.rlim_cur = s->as.rlim_max = (rlim_t)c->span;
}

/*
 * Clone w's process for sc in slot s with fd as its fd 0 (and fd 1 in
 * spawn mode), and the pool listener's waiter, unless -1, as fd 3. The exec's
 * outcome comes later, to the spawner's done. Returns the pid, or -1 with
 * errno (the slot stays free).
 */
pid_t
spawn_start(struct state *st, struct spawn_slot *s, struct worker *w,
    const struct svc_conf *sc, const struct spawn_fds *fds)
{
	sigset_t all, old;
	pid_t pid;
	int err;

	s->sc = sc;
	s->pool = sc->mode == MODE_POOL;
	s->err = 0;
	s->step = NULL;
	s->killed = 0;
	slot_limits(st, s, sc);
	if (dup2(fds->conn, s->fd) == -1 || (fds->waiter != -1 &&
	    dup2(fds->waiter, s->wfd) == -1) ||
	    dup2(fds->err != -1 ? fds->err : NULL_FD, s->efd) == -1) {
		err = errno;
		(void)dup2(NULL_FD, s->fd);
		(void)dup2(NULL_FD, s->wfd);
		errno = err;
		return -1;
	}
	s->waiter = fds->waiter != -1;
	s->phase = SLOT_CLONED;
	/* No handler may run in the child on the daemon's memory. */
	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &old);
	pid = clone(child_main, s->stack_top, CLONE_VM | CLONE_FILES |
	    CLONE_CHILD_CLEARTID | SIGCHLD, s, NULL, NULL, &s->phase);
	err = errno;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		slot_release(s);
		errno = err;
		return -1;
	}
	s->held = 1;
	s->w = w;
	s->pid = pid;
	s->cloned = ev_now(st->loop);
	st->spawner.busy++;
	w->spawn_slot = (unsigned char)(s - st->spawner.slot + 1);
	if (!ev_is_active(&st->spawner.tick))
		timer_arm(st->loop, &st->spawner.tick, tick_cb, SPAWN_POLL_S);
	return pid;
}
