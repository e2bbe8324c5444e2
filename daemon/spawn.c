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
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "spawn.h"
#include "state.h"
#include "worker.h"

#define STACK_BYTES	(16 * 1024)	/* child.c needs well under 1 KiB */
#define GUARD_BYTES	4096

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
		s->parent = st->pid;
		s->nofile = st->nofile;
	}
	ev_prepare_init(&sp->release, release_cb);
	ev_prepare_start(st->loop, &sp->release);
	return 0;
}

/* The child has its own fd table: the daemon's slot fds go back. */
static void
slot_release(struct spawn_slot *s)
{
	(void)dup2(NULL_FD, s->fd);
	if (s->waiter)
		(void)dup2(NULL_FD, s->wfd);
	s->held = 0;
}

static void
futex_wait(int *word, int value)
{
	(void)syscall(SYS_futex, word, FUTEX_WAIT, value, NULL, NULL, 0);
}

/*
 * Look at one slot, waiting as asked: drop the daemon's reference to the
 * connection once the child has its own, free the slot once the child
 * left the daemon's memory, and tell the worker how its exec went.
 */
static void
slot_collect(struct state *st, struct spawn_slot *s, enum spawn_wait how)
{
	struct worker *w = s->w;
	int phase;

	if (w == NULL)
		return;
	while ((phase = __atomic_load_n(&s->phase, __ATOMIC_ACQUIRE)) ==
	    SLOT_CLONED && how != SPAWN_POLL)
		futex_wait(&s->phase, SLOT_CLONED);
	if (s->held && phase != SLOT_CLONED)
		slot_release(s);
	while (phase == SLOT_UNSHARED && how == SPAWN_DRAIN) {
		futex_wait(&s->phase, SLOT_UNSHARED);
		phase = __atomic_load_n(&s->phase, __ATOMIC_ACQUIRE);
	}
	if (phase != SLOT_GONE)
		return;
	s->w = NULL;
	st->spawner.busy--;
	w->spawn_slot = 0;
	/*
	 * The one call back up the layers: the outcome goes to the service
	 * (service_exec_done), which tells the worker and follows up.
	 */
	st->spawner.done(st, w, s->err, s->step);
}

/* Collect every slot in flight (the loop's prepare, a reload, a drain). */
void
spawn_collect(struct state *st, enum spawn_wait how)
{
	int i;

	for (i = 0; i < SPAWN_SLOTS && st->spawner.busy > 0; i++)
		slot_collect(st, &st->spawner.slot[i], how);
}

/* w's process exited: its slot, if it still has one, is gone too. */
void
spawn_settle(struct state *st, struct worker *w)
{
	if (w->spawn_slot)
		slot_collect(st, &st->spawner.slot[w->spawn_slot - 1],
		    SPAWN_DRAIN);
}

/* A free slot; with all in flight, wait for the oldest to exec. */
struct spawn_slot *
spawn_slot(struct state *st)
{
	struct spawn_slot *s;
	int i, n;

	for (n = 0; n < 2 * SPAWN_SLOTS; n++) {
		i = (st->spawner.next + n) % SPAWN_SLOTS;
		s = &st->spawner.slot[i];
		slot_collect(st, s, n < SPAWN_SLOTS ? SPAWN_POLL : SPAWN_DRAIN);
		if (s->w == NULL) {
			st->spawner.next = (i + 1) % SPAWN_SLOTS;
			return s;
		}
	}
	fatalx_code(EXIT_BUG, "no spawn slot came free");
}

/*
 * Clone w's process for sc in slot s with fd as its fd 0 (and fd 1 in
 * spawn mode), and the pool listener's waiter, unless -1, as fd 3. The exec's
 * outcome comes later, to the spawner's done. Returns the pid, or -1 with
 * errno (the slot stays free).
 */
pid_t
spawn_start(struct state *st, struct spawn_slot *s, struct worker *w,
    const struct svc_conf *sc, int fd, int waiter)
{
	sigset_t all, old;
	pid_t pid;
	int err;

	s->sc = sc;
	s->pool = sc->mode == MODE_POOL;
	s->err = 0;
	s->step = NULL;
	/* What the ledger charged is what the worker may take (ledger.c). */
	s->stack.rlim_cur = s->stack.rlim_max =
	    sc->share.cost.one_page ? COST_EXEC_STACK : 0;
	s->data.rlim_cur = s->data.rlim_max =
	    sc->share.cost.one_page ? 0 : (rlim_t)sc->share.cost.user;
	if (dup2(fd, s->fd) == -1 ||
	    (waiter != -1 && dup2(waiter, s->wfd) == -1)) {
		err = errno;
		(void)dup2(NULL_FD, s->fd);
		errno = err;
		return -1;
	}
	s->waiter = waiter != -1;
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
	st->spawner.busy++;
	w->spawn_slot = (unsigned char)(s - st->spawner.slot + 1);
	return pid;
}
