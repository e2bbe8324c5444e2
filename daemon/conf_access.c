/*
 * conf_access.c - can a service's user run its program? The kernel is
 * asked at load, as the worker will ask it: by a short-lived child that
 * has taken the service's credentials, searching every directory of the
 * path and executing the file. So a program under a directory only root
 * may enter is refused with the directory named, instead of every spawn
 * failing with EACCES once the child is the service's user.
 */
#include <sys/syscall.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "creds.h"
#include "rawsys.h"

#define CHECK_STACK	(16 * 1024)	/* the child makes a few calls */

/* What the checking child reads and writes: it shares our memory. */
struct access_check {
	const struct svc_conf *sc;
	char		path[PATH_MAX];	/* its prefixes, then all of it */
	size_t		ends[PATH_MAX / 2];	/* the prefixes' lengths */
	int		nends;
	int		failed;		/* index in ends, or -1 */
	int		err;		/* why, an errno */
};

static void __attribute__((noreturn))
check_exit(int code)
{
	for (;;)
		(void)raw_syscall1(SYS_exit_group, code);
}

/*
 * In the child: take the credentials, then each prefix in turn. X_OK on
 * a directory is search; after setresuid the real ids are the effective
 * ones, so faccessat without AT_EACCESS asks the right question.
 */
static int
check_main(void *arg)
{
	struct access_check *a = arg;
	char saved;
	long r;
	int i;

	if ((r = creds_take(a->sc)) < 0) {
		a->err = (int)-r;
		check_exit(1);
	}
	for (i = 0; i < a->nends; i++) {
		saved = a->path[a->ends[i]];
		a->path[a->ends[i]] = '\0';
		r = raw_syscall3(SYS_faccessat, AT_FDCWD, a->path, X_OK);
		a->path[a->ends[i]] = saved;
		if (r < 0) {
			a->failed = i;
			a->err = (int)-r;
			break;
		}
	}
	check_exit(0);
}

/* The directories of path ("/", "/a", "/a/b"), then path itself. */
static void
prefixes(struct access_check *a)
{
	size_t i, n = strlen(a->path);

	a->nends = 0;
	a->ends[a->nends++] = 1;
	for (i = 1; i < n; i++)
		if (a->path[i] == '/')
			a->ends[a->nends++] = i;
	a->ends[a->nends++] = n;
}

static int
check_run(struct access_check *a)
{
	sigset_t all, old;
	char *stack;
	pid_t pid;

	if ((stack = malloc(CHECK_STACK)) == NULL)
		return -1;
	/* No handler may run in the child on the daemon's memory. */
	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &old);
	pid = clone(check_main, stack + CHECK_STACK, CLONE_VM | CLONE_VFORK |
	    SIGCHLD, a);
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid != -1)
		(void)waitpid(pid, NULL, __WALL);
	free(stack);
	return pid == -1 ? -1 : 0;
}

/*
 * NULL if sc's user, group and groups can search every directory above
 * path and execute (a file) or enter (a directory) path itself; otherwise
 * the reason, written into why: "'nobody' cannot execute /root/x/prog:
 * /root is not searchable", verb saying which.
 */
const char *
conf_access_check(const struct svc_conf *sc, const char *path,
    const char *verb, char *why, size_t len)
{
	struct access_check a;
	const char *who = sc->set_uid ? sc->user : "root";
	size_t end;

	memset(&a, 0, sizeof(a));
	a.sc = sc;
	a.failed = -1;
	(void)snprintf(a.path, sizeof(a.path), "%s", path);
	prefixes(&a);
	if (check_run(&a) == -1) {
		(void)snprintf(why, len, "unable to check that '%s' can "
		    "%s %s: %s", who, verb, path, strerror(errno));
		return why;
	}
	if (a.failed == -1 && a.err == 0)
		return NULL;
	if (a.failed == -1)
		(void)snprintf(why, len, "unable to take the credentials of "
		    "'%s': %s", who, strerror(a.err));
	else if (a.failed < a.nends - 1 && a.err == EACCES) {
		end = a.ends[a.failed];
		(void)snprintf(why, len, "'%s' cannot %s %s: %.*s is not "
		    "searchable", who, verb, path, (int)end, path);
	} else
		(void)snprintf(why, len, "'%s' cannot %s %s: %s", who, verb,
		    path, strerror(a.err));
	return why;
}
