/*
 * main.c - myriadd(8): arguments, the process set-up a supervisor of ten
 * thousand workers needs (fds, limits, signals), the event loop.
 */
#include <sys/resource.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "control/control.h"
#include "footprint.h"
#include "log.h"
#include "notify.h"
#include "pool.h"
#include "rawsys.h"
#include "reap.h"
#include "reload.h"
#include "service.h"
#include "spawn.h"
#include "state.h"
#include "stats.h"
#include "stop.h"

#define DEFAULT_CONF "/etc/myriad/myriad.conf"

static void __attribute__((noreturn))
usage(void)
{
	log_raw("usage: myriadd [-dn] [-f file] [-r fd]");
	exit(EXIT_CONF);
}

static void
syserr_cb(const char *msg)
{
	fatalx_code(EXIT_BUG, "libev: %s: %s", msg, strerror(errno));
}

/*
 * fds 0-2 open; nothing inherited above them but the readiness fd of -r,
 * moved above NULL_FD (its value returned, or -1); fds 3 to NULL_FD - 1
 * the spawn slots' hand-over fds and NULL_FD /dev/null, all of /dev/null.
 */
static int
fds_setup(int ready)
{
	int fd, moved = -1;

	if (ready != -1) {
		if ((moved = fcntl(ready, F_DUPFD_CLOEXEC, NULL_FD + 1)) == -1)
			fatalx_code(EXIT_CONF, "-r %d: not an open fd", ready);
		(void)close_range(3, (unsigned)moved - 1, 0);
		(void)close_range((unsigned)moved + 1, ~0U, 0);
	} else
		(void)close_range(3, ~0U, 0);
	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= NULL_FD)
		if (fd == NULL_FD)
			return moved;
	fatal("unable to open /dev/null for the spawn slots' fds");
}

/* Raise RLIMIT_NOFILE to its hard limit; workers get the original back. */
static void
limits_setup(struct state *st)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &st->nofile) == -1)
		fatal("unable to read RLIMIT_NOFILE");
	rl = st->nofile;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("unable to raise RLIMIT_NOFILE to %llu",
		    (unsigned long long)rl.rlim_max);
}

/*
 * Workers inherit the dispositions: start them all from the default, with
 * the raw system call, as glibc refuses its own two (32 and 33) and they
 * may arrive ignored.
 */
static void
signals_setup(void)
{
	struct kernel_sigaction dfl;
	sigset_t none;
	int sig;

	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	memset(&dfl, 0, sizeof(dfl));
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)syscall(SYS_rt_sigaction, sig, &dfl, NULL,
			    sizeof(dfl.mask));
	(void)signal(SIGPIPE, SIG_IGN);
}

/*
 * The config's path made absolute but not resolved: each load resolves
 * it again (conf_load), and a relative one must not depend on the cwd.
 */
static int
path_absolute(const char *path, char *abs, size_t size)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/')
		n = snprintf(abs, size, "%s", path);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	else
		n = snprintf(abs, size, "%s/%s", cwd, path);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static void
loop_setup(struct state *st)
{
	ev_set_syserr_cb(syserr_cb);
	/* Not the default loop: its SIGCHLD watcher would waitpid(-1). */
	if ((st->loop = ev_loop_new(EVFLAG_SIGNALFD | EVFLAG_NOENV)) == NULL)
		fatalx_code(EXIT_BUG, "unable to start the event loop");
	ev_set_userdata(st->loop, st);
	signals_setup();
	reap_init(st);
	if (spawn_init(st, service_exec_done) == -1)
		fatal("unable to allocate the spawn stacks");
	stop_init(st);
	stats_init(st);
	reload_init(st);
	pool_init(st);
	notify_init(st);
	footprint_init(st);
}

int
main(int argc, char **argv)
{
	struct state st;
	const char *path = DEFAULT_CONF;
	struct conf *c;
	int ch, check = 0, ready = -1;
	char *end;
	long n;

	memset(&st, 0, sizeof(st));
	st.pid = getpid();
	while ((ch = getopt(argc, argv, "df:nr:")) != -1) {
		switch (ch) {
		case 'd':
			st.debug = 1;
			break;
		case 'f':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'r':
			n = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || n < 3 ||
			    n > INT_MAX)
				usage();
			ready = (int)n;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	st.notifier.fd = fds_setup(ready);
	log_init(st.debug);
	if (path_absolute(path, st.conf_abs, sizeof(st.conf_abs)) == -1) {
		log_raw("%s: %s", path, strerror(errno));
		return EXIT_CONF;
	}
	if ((c = conf_load(path, st.conf_abs)) == NULL)
		return EXIT_CONF;
	if (check) {
		log_raw("%s: configuration OK", path);
		conf_free(c);
		return 0;
	}
	limits_setup(&st);
	loop_setup(&st);
	control_open(&st, c);
	if (reload_apply(&st, c) == -1)
		fatalx("unable to start the services");
	ev_run(st.loop, 0);
	log_info("exiting: spawned %lu, reaped %lu, spawn failures %lu",
	    st.counts.spawned, st.counts.reaped, st.counts.failed);
	return 0;
}
