/*
 * spawn.c - start one worker: clone(CLONE_VM|CLONE_VFORK|CLONE_PIDFD|
 * CLONE_FILES) on a preallocated stack, then in the child only
 * async-signal-safe steps up to execve (DESIGN.md section 5).
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "myriadd.h"

#define STACK_BYTES (64 * 1024)

/*
 * Dispositions to reset: execve resets every handler itself, so only what
 * the daemon ignores would survive it (signals_setup made the rest default;
 * libev, with EVFLAG_SIGNALFD, blocks the signals it watches instead of
 * handling them). Each entry is a system call in the spawn path.
 */
static const int reset_signals[] = { SIGPIPE, 0 };

int
spawn_init(struct state *st)
{
	st->stack_size = STACK_BYTES;
	st->stack = mmap(NULL, st->stack_size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_POPULATE, -1, 0);
	if (st->stack == MAP_FAILED)
		return -1;
	return 0;
}

static int __attribute__((noreturn))
child_fail(struct spawn_req *r, const char *step)
{
	r->err = errno;
	r->step = step;
	_exit(127);
}

/* Drop to the service's user and group, and check it took. */
static int
child_credentials(const struct svc_conf *sc)
{
	if (sc->set_gid) {
		if (syscall(SYS_setgroups, (size_t)sc->ngroups, sc->groups)
		    == -1 || syscall(SYS_setresgid, sc->gid, sc->gid, sc->gid)
		    == -1)
			return -1;
		if ((gid_t)syscall(SYS_getegid) != sc->gid) {
			errno = EPERM;
			return -1;
		}
	}
	if (sc->set_uid) {
		if (syscall(SYS_setresuid, sc->uid, sc->uid, sc->uid) == -1)
			return -1;
		if ((uid_t)syscall(SYS_geteuid) != sc->uid) {
			errno = EPERM;
			return -1;
		}
	}
	return 0;
}

static int
child_signals(void)
{
	struct sigaction sa;
	sigset_t none;
	int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (i = 0; reset_signals[i]; i++)
		if (sigaction(reset_signals[i], &sa, NULL) == -1)
			return -1;
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * The child shares the daemon's memory and fd table until close_range
 * unshares the table: from there on it only touches its own copy of fds
 * 0 to NULL_FD, and writes to memory only to report a failure.
 */
static int
child_main(void *arg)
{
	struct spawn_req *r = arg;
	const struct svc_conf *sc = r->sc;
	struct rlimit zero = { 0, 0 };

	if (close_range(NULL_FD + 1, ~0U, CLOSE_RANGE_UNSHARE) == -1)
		child_fail(r, "close_range");
	if (dup2(HANDOVER_FD, 0) == -1 ||
	    dup2(r->pool ? NULL_FD : HANDOVER_FD, 1) == -1 ||
	    close(HANDOVER_FD) == -1 || close(NULL_FD) == -1)
		child_fail(r, "dup2");
	if (setpgid(0, 0) == -1)
		child_fail(r, "setpgid");
	/* EPERM: the daemon's hard limit was lowered under it; keep that. */
	if ((setrlimit(RLIMIT_NOFILE, &r->nofile) == -1 && errno != EPERM) ||
	    setrlimit(RLIMIT_CORE, &zero) == -1 ||
	    (r->stack.rlim_cur && setrlimit(RLIMIT_STACK, &r->stack) == -1) ||
	    (r->data.rlim_cur && setrlimit(RLIMIT_DATA, &r->data) == -1))
		child_fail(r, "setrlimit");
	if (child_credentials(sc) == -1)
		child_fail(r, "setuid");
	/* After the credential change, which clears it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		child_fail(r, "prctl");
	if (getppid() != r->parent)
		_exit(111);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		child_fail(r, "prctl");
	if (child_signals() == -1)
		child_fail(r, "sigprocmask");
	execve(sc->path, sc->argv, r->envp);
	child_fail(r, "exec");
}

/*
 * Run sc's program with fd as its fd 0 (and fd 1 in spawn mode). Returns
 * the pid and sets *pidfd, or -1 with errno and st->req.step set.
 */
pid_t
spawn_exec(struct state *st, const struct svc_conf *sc, int fd, char **envp,
    int *pidfd)
{
	struct spawn_req *r = &st->req;
	sigset_t all, old;
	siginfo_t si;
	pid_t pid;
	int err;

	r->sc = sc;
	r->envp = envp;
	r->pool = sc->mode == MODE_POOL;
	r->err = 0;
	/* What the ledger charged is what the worker may take (ledger.c). */
	r->stack.rlim_cur = r->stack.rlim_max =
	    sc->share.cost.one_page ? COST_EXEC_STACK : 0;
	r->data.rlim_cur = r->data.rlim_max =
	    sc->share.cost.one_page ? 0 : (rlim_t)sc->share.cost.user;
	r->step = "clone";
	*pidfd = -1;
	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &old);
	if (dup2(fd, HANDOVER_FD) == -1) {
		err = errno;
		r->step = "dup2";
		pid = -1;
	} else {
		pid = clone(child_main, st->stack + st->stack_size,
		    CLONE_VM | CLONE_VFORK | CLONE_PIDFD | CLONE_FILES | SIGCHLD,
		    r, pidfd);
		err = errno;
		/* Hold no extra reference to the connection. */
		(void)dup2(NULL_FD, HANDOVER_FD);
	}
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		errno = err;
		return -1;
	}
	if (r->err) {
		/* The child has exited: reap it now. */
		err = r->err;
		(void)waitid(P_PIDFD, (id_t)*pidfd, &si, WEXITED);
		(void)close(*pidfd);
		*pidfd = -1;
		errno = err;
		return -1;
	}
	return pid;
}
