/*
 * listen.c - listening sockets: open TCP v4, v6 and UNIX stream sockets,
 * and in spawn mode the accept loop, paused (never closed) when the
 * service is at its workers, on EMFILE and after a spawn failure. The
 * daemon holds a connection only from accept to the child's fd table, so
 * its fds do not grow with its workers.
 */
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "listen.h"
#include "log.h"
#include "service.h"
#include "spawn.h"
#include "state.h"
#include "timer.h"
#include "worker.h"

#define LISTEN_BACKLOG 4096

static void	pause_cb(struct ev_loop *, ev_timer *, int);

/*
 * Open the directory of a UNIX socket path (O_PATH, and flags), for the
 * calls that must not follow a name swapped under them: *name is the
 * socket's name in it. -1 with errno.
 */
int
listen_unix_dir(const char *path, const char **name, int flags)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		errno = EINVAL;
		return -1;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	*name = slash + 1;
	return open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC | flags);
}

/*
 * Remove a stale UNIX socket file, left by a daemon that died: only a
 * socket that refuses connections, and only if the name in dfd still
 * holds it then. -1 with EADDRINUSE if a live one answers there (a
 * listener or the control socket of another daemon). One race remains:
 * whoever may write in the directory can swap the name between the
 * last check and unlinkat, which then removes their entry, never a file
 * elsewhere.
 */
int
listen_unix_clear(int dfd, const char *name, const struct sockaddr_un *un)
{
	struct stat before, after;
	int fd, r, err;

	if (fstatat(dfd, name, &before, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(before.st_mode))
		return 0;	/* bind fails with EADDRINUSE */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = connect(fd, (const struct sockaddr *)un, sizeof(*un));
	err = errno;
	(void)close(fd);
	if (r == -1 && err == ENOENT)
		return 0;
	if (r == 0 || err != ECONNREFUSED) {
		errno = r == 0 || err == EAGAIN ? EADDRINUSE : err;
		return -1;
	}
	if (fstatat(dfd, name, &after, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (after.st_dev != before.st_dev || after.st_ino != before.st_ino) {
		errno = EADDRINUSE;
		return -1;
	}
	return unlinkat(dfd, name, 0);
}

/*
 * The socket file just bound, still unreachable (nobody can connect
 * before listen): its owner, group and mode, by its name in dfd.
 */
static int
unix_socket_own(int dfd, const char *name, const struct addr *a)
{
	struct stat sb;

	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (!S_ISSOCK(sb.st_mode) || sb.st_uid != geteuid()) {
		errno = EADDRINUSE;
		return -1;
	}
	if ((a->uid != (uid_t)-1 || a->gid != (gid_t)-1) &&
	    fchownat(dfd, name, a->uid, a->gid, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	return fchmodat(dfd, name, a->mode, AT_SYMLINK_NOFOLLOW);
}

/* A UNIX listener: bound 0600, then given its owner and mode, then open. */
static int
unix_socket_open(const struct addr *a)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)&a->ss;
	const char *name;
	mode_t mask;
	int dfd, fd = -1, r, err;

	if ((dfd = listen_unix_dir(un->sun_path, &name, 0)) == -1)
		return -1;
	if (listen_unix_clear(dfd, name, un) == -1 ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	mask = umask(0177);
	r = bind(fd, (const struct sockaddr *)un, a->len);
	(void)umask(mask);
	if (r == -1)
		goto fail;
	if (unix_socket_own(dfd, name, a) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1) {
		err = errno;
		(void)unlinkat(dfd, name, 0);
		errno = err;
		goto fail;
	}
	(void)close(dfd);
	return fd;
fail:
	err = errno;
	if (fd != -1)
		(void)close(fd);
	(void)close(dfd);
	errno = err;
	return -1;
}

static int
listen_socket(const struct addr *a)
{
	int fd, on = 1, v6only = !a->dual, family = a->ss.ss_family;

	if (family == AF_UNIX)
		return unix_socket_open(a);
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
	    &v6only, sizeof(v6only)) == -1) ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* Open a listening socket for a; -1 with errno, logged by the caller. */
int
listen_open(const struct addr *a)
{
	struct addr any4;
	int fd;

	fd = listen_socket(a);
	if (fd == -1 && a->dual && errno == EAFNOSUPPORT) {
		/* No IPv6 on this host: *:PORT is 0.0.0.0:PORT. */
		memset(&any4, 0, sizeof(any4));
		any4.ss.ss_family = AF_INET;
		((struct sockaddr_in *)&any4.ss)->sin_port =
		    ((const struct sockaddr_in6 *)&a->ss)->sin6_port;
		any4.len = sizeof(struct sockaddr_in);
		fd = listen_socket(&any4);
	}
	return fd;
}

/* Returns 1 to go on accepting, 0 to stop for this wakeup. */
static int
accept_error(struct state *st, struct service *svc, int err)
{
	switch (err) {
	case EAGAIN:
		return 0;
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case EPERM:
	case ENETDOWN:
	case ENOPROTOOPT:
	case EHOSTDOWN:
	case ENONET:
	case EHOSTUNREACH:
	case EOPNOTSUPP:
	case ENETUNREACH:
		return 1;
	default:		/* EMFILE, ENFILE, ENOBUFS, ENOMEM... */
		log_limited(&svc->lis.accept_warning, ev_now(st->loop), err,
		    "service '%s': unable to accept on %s", svc->conf->name,
		    svc->conf->listen.text);
		listen_pause(st, svc, ACCEPT_PAUSE_S);
		return 0;
	}
}

static void
accept_one(struct state *st, struct service *svc, int fd,
    const struct sockaddr_storage *peer)
{
	struct source_key key;
	struct worker *w;

	if ((w = worker_new(st, svc)) == NULL)
		return;
	if (source_key_of(&key, fd, peer) == 0)
		w->source = source_take(&svc->sources, &key);
	if (worker_start(st, w, fd, peer) == -1) {
		worker_free(st, w);
		listen_pause(st, svc, SPAWN_BACKOFF_S);
	}
}

static void
accept_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct service *svc = (struct service *)((char *)io -
	    offsetof(struct service, lis.io));
	struct state *st = ev_userdata(loop);
	struct sockaddr_storage peer;
	socklen_t len;
	int i, fd;

	(void)revents;
	for (i = 0; i < ACCEPT_BATCH && ev_is_active(io); i++) {
		if (svc->nslots >= service_workers(svc)) {
			listen_full(st, svc);
			return;
		}
		/* No client taken that no slot could spawn for. */
		if (spawn_slot(st) == NULL) {
			listen_pause(st, svc, ACCEPT_PAUSE_S);
			return;
		}
		len = sizeof(peer);
		fd = accept4(svc->lis.fd, (struct sockaddr *)&peer, &len,
		    SOCK_CLOEXEC);
		if (fd == -1) {
			if (accept_error(st, svc, errno))
				continue;
			return;
		}
		accept_one(st, svc, fd, &peer);
		(void)close(fd);
	}
}

static void
pause_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct service *svc = (struct service *)((char *)t -
	    offsetof(struct service, lis.pause));

	(void)revents;
	if (!svc->lis.full && svc->lis.fd != -1)
		ev_io_start(loop, &svc->lis.io);
}

/*
 * An epoll instance watching a one-page pool's listener, for its workers
 * to wait in (lib/rt's RT_WAIT_FD): accept allocates the new socket before
 * it sleeps, about 1.2 KiB per idle worker; epoll_wait nothing. -1 if
 * none could be made: the workers then wait in accept.
 */
static int
waiter_open(struct service *svc, int fd)
{
	struct epoll_event ev;
	int ep;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		goto fail;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0)
		return ep;
	(void)close(ep);
fail:
	log_warn("service '%s': its workers wait in accept", svc->conf->name);
	return -1;
}

/*
 * Take fd as svc's listener: watched in spawn mode; in a pool, blocking
 * for a foreign program, non-blocking with a waiter for one-page workers.
 */
void
listen_start(struct state *st, struct service *svc, int fd)
{
	struct listener *l = &svc->lis;
	int flags, nonblock;

	l->fd = fd;
	l->full = 0;
	l->waiter = -1;
	ev_io_init(&l->io, accept_cb, fd, EV_READ);
	ev_init(&l->pause, pause_cb);
	if (svc->conf->mode == MODE_POOL && svc->conf->share.cost.one_page)
		l->waiter = waiter_open(svc, fd);
	nonblock = svc->conf->mode == MODE_SPAWN || l->waiter != -1;
	if ((flags = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, nonblock ? flags | O_NONBLOCK :
		    flags & ~O_NONBLOCK);
	if (svc->conf->mode == MODE_SPAWN)
		ev_io_start(st->loop, &l->io);
}

/* Stop watching svc's listener and give its fd to the caller. */
int
listen_detach(struct state *st, struct service *svc)
{
	struct listener *l = &svc->lis;
	int fd = l->fd;

	if (fd != -1) {
		ev_io_stop(st->loop, &l->io);
		ev_timer_stop(st->loop, &l->pause);
	}
	/* Live workers keep their copy: it goes with the last of them. */
	if (l->waiter != -1)
		(void)close(l->waiter);
	l->waiter = -1;
	l->fd = -1;
	return fd;
}

void
listen_close(struct state *st, struct service *svc)
{
	const struct addr *a = &svc->conf->listen;
	int fd;

	if ((fd = listen_detach(st, svc)) == -1)
		return;
	(void)close(fd);
	if (a->ss.ss_family == AF_UNIX)
		(void)unlink(((const struct sockaddr_un *)&a->ss)->sun_path);
}

/* The service is at its workers: let the kernel's backlog hold clients. */
void
listen_full(struct state *st, struct service *svc)
{
	svc->lis.full = 1;
	ev_io_stop(st->loop, &svc->lis.io);
}

/* A worker of svc exited: accept again if that was what held it. */
void
listen_resume(struct state *st, struct service *svc)
{
	struct listener *l = &svc->lis;

	if (!l->full || l->fd == -1 || svc->nslots >= service_workers(svc))
		return;
	l->full = 0;
	if (!ev_is_active(&l->pause))
		ev_io_start(st->loop, &l->io);
}

void
listen_pause(struct state *st, struct service *svc, double seconds)
{
	struct listener *l = &svc->lis;

	ev_io_stop(st->loop, &l->io);
	timer_arm(st->loop, &l->pause, pause_cb, seconds);
}
