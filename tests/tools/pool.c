/*
 * pool.c - test harness: run N copies of a worker in pool mode (fd 0 on one
 * shared listening socket), say when every copy is blocked in accept, and
 * kill them all on SIGTERM. Workers stay in pool's process group.
 *
 * usage: pool -n N -l HOST:PORT|PATH [-p PIDFILE] [-c CGROUP.PROCS]...
 *             [-m USAGE_FILE] -- PROG [ARG]...
 *   -l 127.0.0.1:7000, [::1]:7000 or /path/to/unix.sock
 *   -c a cgroup.procs file pool joins before spawning, so that what fork
 *      and exec allocate for each worker is charged there (repeatable)
 *   -m a file holding one number (memory.usage_in_bytes) printed as
 *      "baseline NUMBER" just before the first spawn
 * Prints "ready N" on stdout once all N workers wait in accept4.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CGROUPS 4
#define SYS_ACCEPT4 288		/* x86-64 */
#define READY_TIMEOUT_S 60

extern char **environ;

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
die(const char *what)
{
	fprintf(stderr, "pool: %s: %s\n", what, strerror(errno));
	exit(111);
}

static int
listen_on(const char *where)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_un *un = (struct sockaddr_un *)&ss;
	char host[128], *colon;
	socklen_t len;
	int fd, on = 1;

	memset(&ss, 0, sizeof(ss));
	if (where[0] == '/') {
		un->sun_family = AF_UNIX;
		snprintf(un->sun_path, sizeof(un->sun_path), "%s", where);
		unlink(where);
		len = sizeof(*un);
	} else {
		snprintf(host, sizeof(host), "%s", where);
		if ((colon = strrchr(host, ':')) == NULL)
			errno = EINVAL, die(where);
		*colon = '\0';
		if (host[0] == '[') {
			host[strlen(host) - 1] = '\0';
			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons(atoi(colon + 1));
			if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
				errno = EINVAL, die(where);
			len = sizeof(*in6);
		} else {
			in4->sin_family = AF_INET;
			in4->sin_port = htons(atoi(colon + 1));
			if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
				errno = EINVAL, die(where);
			len = sizeof(*in4);
		}
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1)
		die(where);
	if (listen(fd, SOMAXCONN) == -1)
		die("listen");
	return fd;
}

/* Runs in the vfork child: async-signal-safe calls only. */
static void
exec_worker(int lfd, char **argv)
{
	int fd;

	if (dup2(lfd, 0) == -1 || (fd = open("/dev/null", O_WRONLY)) == -1 ||
	    dup2(fd, 1) == -1)
		_exit(126);
	close_range(3, ~0U, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	execve(argv[0], argv, environ);
	_exit(127);
}

static pid_t
spawn_worker(int lfd, char **argv)
{
	pid_t pid = vfork();

	if (pid == -1)
		die("vfork");
	if (pid == 0)
		exec_worker(lfd, argv);
	return pid;
}

static void
join_cgroup(const char *procs)
{
	FILE *f = fopen(procs, "w");

	if (f == NULL || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0)
		die(procs);
}

/*
 * Back to the parent cgroup once the workers are spawned, so that what the
 * readiness checks cost (proc inodes) is not charged with the workers.
 */
static void
leave_cgroup(const char *procs)
{
	char parent[4096];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", procs);
	if ((slash = strrchr(parent, '/')) == NULL)
		return;
	*slash = '\0';
	if ((slash = strrchr(parent, '/')) == NULL)
		return;
	snprintf(slash, sizeof(parent) - (size_t)(slash - parent), "/cgroup.procs");
	join_cgroup(parent);
}

static void
print_baseline(const char *usage_file)
{
	char line[64] = "";
	FILE *f = fopen(usage_file, "r");

	if (f == NULL || fgets(line, sizeof(line), f) == NULL)
		die(usage_file);
	fclose(f);
	printf("baseline %s", line);
	fflush(stdout);
}

static int
in_accept(pid_t pid)
{
	char path[64], buf[32];
	int fd, n;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return 0;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return atoi(buf) == SYS_ACCEPT4;
}

static void
wait_ready(pid_t *pids, int n)
{
	time_t deadline = time(NULL) + READY_TIMEOUT_S;
	int i = 0;

	while (i < n) {
		if (in_accept(pids[i])) {
			i++;
			continue;
		}
		if (waitpid(pids[i], NULL, WNOHANG) == pids[i] ||
		    time(NULL) > deadline) {
			fprintf(stderr, "pool: worker %d never reached accept\n",
			    (int)pids[i]);
			exit(111);
		}
		usleep(1000);
	}
}

int
main(int argc, char **argv)
{
	char *cgroups[MAX_CGROUPS], *where = NULL, *pidfile = NULL;
	char *usage_file = NULL;
	int c, i, n = 0, ncgroups = 0, lfd;
	pid_t *pids;
	FILE *f;

	while ((c = getopt(argc, argv, "n:l:p:c:m:")) != -1) {
		switch (c) {
		case 'n': n = atoi(optarg); break;
		case 'l': where = optarg; break;
		case 'p': pidfile = optarg; break;
		case 'm': usage_file = optarg; break;
		case 'c':
			if (ncgroups == MAX_CGROUPS)
				errno = E2BIG, die("-c");
			cgroups[ncgroups++] = optarg;
			break;
		default: exit(100);
		}
	}
	if (n <= 0 || where == NULL || optind >= argc) {
		fprintf(stderr, "usage: pool -n N -l HOST:PORT|PATH [-p PIDFILE] "
		    "[-c CGROUP.PROCS]... [-m USAGE_FILE] -- PROG [ARG]...\n");
		exit(100);
	}
	/* Inherited fds would size every worker's fd table (rt.h, DESIGN 4). */
	close_range(3, ~0U, 0);
	setpgid(0, 0);
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	lfd = listen_on(where);
	if ((pids = calloc((size_t)n, sizeof(*pids))) == NULL)
		die("calloc");
	for (i = 0; i < ncgroups; i++)
		join_cgroup(cgroups[i]);
	if (usage_file)
		print_baseline(usage_file);
	for (i = 0; i < n; i++)
		pids[i] = spawn_worker(lfd, argv + optind);
	for (i = 0; i < ncgroups; i++)
		leave_cgroup(cgroups[i]);
	wait_ready(pids, n);
	if (pidfile) {
		if ((f = fopen(pidfile, "w")) == NULL)
			die(pidfile);
		for (i = 0; i < n; i++)
			fprintf(f, "%d\n", (int)pids[i]);
		fclose(f);
	}
	printf("ready %d\n", n);
	fflush(stdout);
	while (!stopping)
		pause();
	for (i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
