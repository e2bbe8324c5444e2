/*
 * child.c - the cloned child's steps up to execve, in the order that
 * myriadd(8) gives under HOW A WORKER IS STARTED. It runs on its slot's
 * stack in the daemon's memory, beside the daemon (no vfork wait), so it
 * makes raw system calls only and writes nothing but its slot: a
 * failure's step and errno, and the phase word the daemon waits on.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/close_range.h>
#include <linux/futex.h>
#include <errno.h>
#include <signal.h>

#include "conf.h"
#include "creds.h"
#include "rawsys.h"
#include "spawn.h"

static void __attribute__((noreturn))
child_fail(struct spawn_slot *s, const char *step, long ret)
{
	s->err = (int)-ret;
	s->step = step;
	for (;;)
		(void)raw_syscall1(SYS_exit_group, 127);
}

static long
child_limits(const struct spawn_slot *s)
{
	const struct rlimit zero = { 0, 0 };
	long r;

	/* EPERM: the daemon's hard limit was lowered under it; keep that. */
	r = raw_syscall4(SYS_prlimit64, 0, RLIMIT_NOFILE, &s->nofile, 0);
	if (r < 0 && r != -EPERM)
		return r;
	if ((r = raw_syscall4(SYS_prlimit64, 0, RLIMIT_CORE, &zero, 0)) < 0)
		return r;
	if (s->stack.rlim_cur && (r = raw_syscall4(SYS_prlimit64, 0,
	    RLIMIT_STACK, &s->stack, 0)) < 0)
		return r;
	if (s->data.rlim_cur && (r = raw_syscall4(SYS_prlimit64, 0,
	    RLIMIT_DATA, &s->data, 0)) < 0)
		return r;
	if (s->as.rlim_cur && (r = raw_syscall4(SYS_prlimit64, 0,
	    RLIMIT_AS, &s->as, 0)) < 0)
		return r;
	return 0;
}

/*
 * execve resets every handler itself, so only what the daemon ignores
 * would survive it (SIGPIPE); the mask the daemon's signalfds need goes.
 */
static long
child_signals(void)
{
	struct kernel_sigaction dfl = { SIG_DFL, 0, 0, 0 };
	unsigned long none = 0;
	long r;

	if ((r = raw_syscall4(SYS_rt_sigaction, SIGPIPE, &dfl, 0,
	    sizeof(dfl.mask))) < 0)
		return r;
	return raw_syscall4(SYS_rt_sigprocmask, SIG_SETMASK, &none, 0,
	    sizeof(none));
}

/*
 * Shares the daemon's fd table until the first call unshares it, keeping
 * fds below NULL_FD + 1 only; then the daemon may reuse its slot fd.
 */
int
child_main(void *arg)
{
	struct spawn_slot *s = arg;
	const struct svc_conf *sc = s->sc;
	long r;

	if ((r = raw_syscall3(SYS_close_range, NULL_FD + 1, ~0U,
	    CLOSE_RANGE_UNSHARE)) < 0)
		child_fail(s, "close_range", r);
	__atomic_store_n(&s->phase, SLOT_UNSHARED, __ATOMIC_RELEASE);
	(void)raw_syscall3(SYS_futex, &s->phase, FUTEX_WAKE, 1);
	if ((r = raw_syscall2(SYS_dup2, s->fd, 0)) < 0 ||
	    (r = raw_syscall2(SYS_dup2, s->pool ? NULL_FD : s->fd, 1)) < 0 ||
	    (r = raw_syscall2(SYS_dup2, s->efd, 2)) < 0 ||
	    (s->waiter && (r = raw_syscall2(SYS_dup2, s->wfd, CHILD_WAIT_FD))
	    < 0) || (r = raw_syscall3(SYS_close_range, s->waiter ?
	    CHILD_WAIT_FD + 1 : CHILD_WAIT_FD, ~0U, 0)) < 0)
		child_fail(s, "dup2", r);
	if ((r = raw_syscall2(SYS_setpgid, 0, 0)) < 0)
		child_fail(s, "setpgid", r);
	if ((r = child_limits(s)) < 0)
		child_fail(s, "setrlimit", r);
	if ((r = creds_take(sc)) < 0)
		child_fail(s, "setuid", r);
	/* As the worker's user, so it cannot start where it could not go. */
	if ((r = raw_syscall1(SYS_chdir, sc->workdir)) < 0)
		child_fail(s, "chdir", r);
	(void)raw_syscall1(SYS_umask, sc->cmask);
	/* After the credential change, which clears it. */
	if ((r = raw_syscall2(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL)) < 0)
		child_fail(s, "prctl", r);
	if (raw_syscall0(SYS_getppid) != s->parent)
		for (;;)
			(void)raw_syscall1(SYS_exit_group, 111);
	if ((r = raw_syscall2(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1)) < 0)
		child_fail(s, "prctl", r);
	if ((r = child_signals()) < 0)
		child_fail(s, "sigprocmask", r);
	r = raw_syscall3(SYS_execve, sc->path, sc->argv, s->envp);
	child_fail(s, "exec", r);
}
