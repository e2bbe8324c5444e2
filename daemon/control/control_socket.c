/*
 * control_socket.c - the control socket itself: made mode 0600 at the
 * config's control path, accepted from without blocking, peers checked
 * with SO_PEERCRED, clients beyond CTL_CLIENTS_MAX closed at once.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/client.h"
#include "control/control.h"
#include "listen.h"
#include "log.h"
#include "service.h"
#include "state.h"
#include "table.h"

#define CTL_BACKLOG	128
#define CTL_ACCEPTS	16	/* per wakeup */
#define CTL_PAUSE_S	0.1	/* after EMFILE and the like */

/* Root or the daemon's own user; others get an error line and a close. */
static int
peer_allowed(struct state *st, int fd)
{
	struct control *ctl = st->control;
	static const char refusal[] = "error\tpermission denied\n";
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
	    (cred.uid == 0 || cred.uid == ctl->uid))
		return 1;
	(void)send(fd, refusal, sizeof(refusal) - 1,
	    MSG_NOSIGNAL | MSG_DONTWAIT);
	log_limited(&ctl->peer_warning, ev_now(st->loop), 0,
	    "control: refused pid %d uid %d: neither root nor uid %d",
	    (int)cred.pid, (int)cred.uid, (int)ctl->uid);
	return 0;
}

static void
pause_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct state *st = ev_userdata(loop);

	(void)t;
	(void)revents;
	if (st->control->fd != -1)
		ev_io_start(loop, &st->control->io);
}

static void
accept_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct state *st = ev_userdata(loop);
	struct control *ctl = st->control;
	int i, fd;

	(void)revents;
	for (i = 0; i < CTL_ACCEPTS; i++) {
		fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1 && (errno == EAGAIN || errno == EINTR ||
		    errno == ECONNABORTED))
			return;
		if (fd == -1) {
			/* EMFILE and the like: the fds go to the workers. */
			log_limited(&ctl->full_warning, ev_now(loop), errno,
			    "control: unable to accept");
			ev_io_stop(loop, io);
			ev_timer_set(&ctl->pause, CTL_PAUSE_S, 0);
			ev_timer_start(loop, &ctl->pause);
			return;
		}
		if (ctl->nclients == CTL_CLIENTS_MAX) {
			log_limited(&ctl->full_warning, ev_now(loop), 0,
			    "control: %d clients already, closing new ones",
			    CTL_CLIENTS_MAX);
			(void)close(fd);
		} else if (!peer_allowed(st, fd))
			(void)close(fd);
		else
			control_client(st, fd);
	}
}

/*
 * The directory must be the daemon's alone, or another user could swap
 * the socket's name under it: a real directory (not a symbolic link),
 * owned by root or the daemon's user, writable by neither group nor
 * others. Missing, it is made so (one level, mode 0700). Returns it open,
 * for the names in it; a refusal exits 100, before anything is bound.
 */
static int
dir_open(const char *path, const char **name)
{
	char dir[PATH_MAX];
	struct stat sb;
	int dfd;

	memcpy(dir, path, strlen(path) + 1);
	(void)dirname(dir);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		fatal("control socket %s: unable to make its directory", path);
	if ((dfd = listen_unix_dir(path, name, O_NOFOLLOW)) == -1) {
		if (lstat(dir, &sb) == 0 && S_ISLNK(sb.st_mode))
			fatalx_code(EXIT_CONF, "control socket %s: %s is a "
			    "symbolic link", path, dir);
		fatal("control socket %s: unable to open %s", path, dir);
	}
	if (fstat(dfd, &sb) == -1)
		fatal("control socket %s: %s", path, dir);
	if (sb.st_uid != 0 && sb.st_uid != geteuid())
		fatalx_code(EXIT_CONF, "control socket %s: %s is owned by uid "
		    "%d, not root or uid %d", path, dir, (int)sb.st_uid,
		    (int)geteuid());
	if (sb.st_mode & (S_IWGRP | S_IWOTH))
		fatalx_code(EXIT_CONF, "control socket %s: %s is writable by "
		    "group or others (mode %04o)", path, dir,
		    (unsigned)(sb.st_mode & 07777));
	return dfd;
}

static int
socket_make(const char *path)
{
	struct sockaddr_un un;
	const char *name;
	mode_t mask;
	int dfd, fd, r;

	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(un.sun_path))
		fatalx_code(EXIT_CONF, "control socket %s: path longer than "
		    "%zu bytes", path, sizeof(un.sun_path) - 1);
	memcpy(un.sun_path, path, strlen(path));
	dfd = dir_open(path, &name);
	if (listen_unix_clear(dfd, name, &un) == -1) {
		if (errno == EADDRINUSE)
			fatalx("control socket %s: another daemon answers "
			    "there", path);
		fatal("control socket %s: unable to clear the old one", path);
	}
	(void)close(dfd);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		fatal("control socket %s", path);
	/* Made 0600: never, even for an instant, open to others. */
	mask = umask(0177);
	r = bind(fd, (struct sockaddr *)&un, sizeof(un));
	(void)umask(mask);
	if (r == -1 || listen(fd, CTL_BACKLOG) == -1)
		fatal("unable to bind the control socket %s", path);
	return fd;
}

/* Open the config's control socket, if it names one (at start only). */
void
control_open(struct state *st, const struct conf *c)
{
	struct control *ctl;
	int i;

	if (c->control[0] == '\0')
		return;
	/* Touched now: clients later cost no memory the daemon lacks. */
	if ((ctl = malloc(sizeof(*ctl))) == NULL)
		fatal("control socket: no memory for its clients");
	explicit_bzero(ctl, sizeof(*ctl));
	st->control = ctl;
	/* A relative path is taken from the config's directory, as exec. */
	if ((size_t)snprintf(ctl->path, sizeof(ctl->path), "%s%s%s",
	    c->control[0] == '/' ? "" : c->dir,
	    c->control[0] == '/' ? "" : "/", c->control) >=
	    sizeof(ctl->path))
		fatalx_code(EXIT_CONF, "control socket %s: path too long",
		    c->control);
	ctl->uid = geteuid();
	for (i = 0; i < CTL_CLIENTS_MAX; i++)
		ctl->client[i].fd = -1;
	ctl->fd = socket_make(ctl->path);
	ev_io_init(&ctl->io, accept_cb, ctl->fd, EV_READ);
	ev_io_start(st->loop, &ctl->io);
	ev_init(&ctl->pause, pause_cb);
	footprint_on_sweep(st, control_swept);
	log_debug("control socket %s", ctl->path);
}

/* Stop taking clients and remove the socket; clients being answered end. */
void
control_close(struct state *st)
{
	struct control *ctl = st->control;

	if (ctl == NULL || ctl->fd == -1)
		return;
	ev_io_stop(st->loop, &ctl->io);
	ev_timer_stop(st->loop, &ctl->pause);
	(void)close(ctl->fd);
	ctl->fd = -1;
	(void)unlink(ctl->path);
}
