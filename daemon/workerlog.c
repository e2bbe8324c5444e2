/*
 * workerlog.c - workers' stderr. Each service has a datagram socket pair:
 * the workers get one end as fd 2, the daemon reads the other, with
 * SO_PASSCRED, so that each write a worker makes arrives whole with the
 * writer's pid. Lines are logged as "service 'NAME' worker PID: TEXT",
 * unprintable bytes replaced, at most WORKERLOG_LINES_S a second per
 * service; the rest are counted. Both ends are non-blocking: a worker
 * that floods its stderr loses what the socket cannot hold, and the
 * daemon reads a bounded number of datagrams per wakeup, so neither
 * a stalled log nor a chatty worker holds the loop.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "service.h"
#include "state.h"
#include "workerlog.h"

#define DATAGRAM_MAX	1024	/* longer writes are cut */

void
workerlog_init(struct workerlog *l)
{
	memset(l, 0, sizeof(*l));
	l->fd = l->peer = -1;
}

/* One line of pid's, if the second's share is not spent. */
static void
line_out(struct service *svc, ev_tstamp now, pid_t pid, char *text,
    size_t len)
{
	struct workerlog *l = &svc->log;
	size_t i;

	if (now - l->second >= 1.0) {
		if (l->dropped)
			log_warnx("service '%s': %ld lines of its workers' "
			    "stderr not logged (more than %d a second)",
			    svc->conf->name, l->dropped, WORKERLOG_LINES_S);
		l->second = now;
		l->lines = 0;
		l->dropped = 0;
	}
	if (l->lines++ >= WORKERLOG_LINES_S) {
		l->dropped++;
		return;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)text[i] < ' ' || text[i] == 0x7f)
			text[i] = text[i] == '\t' ? ' ' : '?';
	log_info("service '%s' worker %d: %.*s", svc->conf->name, (int)pid,
	    (int)len, text);
}

/* A datagram, split into its lines; a cut one says so. */
static void
datagram_out(struct service *svc, ev_tstamp now, pid_t pid, char *buf,
    size_t len, int cut)
{
	char *p = buf, *end = buf + len, *nl;

	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl > p || cut)
			line_out(svc, now, pid, p, (size_t)(nl - p));
		p = nl + 1;
	}
	if (cut)
		line_out(svc, now, pid, "(the write was longer: cut)", 27);
}

static void
read_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct service *svc = (struct service *)((char *)io -
	    offsetof(struct service, log.io));
	char buf[DATAGRAM_MAX], ctl[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg;
	struct cmsghdr *cm;
	struct ucred cred;
	ssize_t n;
	int i;

	(void)revents;
	for (i = 0; i < WORKERLOG_READS; i++) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		if ((n = recvmsg(io->fd, &msg, MSG_DONTWAIT)) == -1)
			return;
		cred.pid = 0;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SCM_CREDENTIALS)
				memcpy(&cred, CMSG_DATA(cm), sizeof(cred));
		datagram_out(svc, ev_now(loop), cred.pid, buf, (size_t)n,
		    (msg.msg_flags & MSG_TRUNC) != 0);
	}
}

/*
 * Give svc its socket pair, unless it has one or its stderr is null.
 * Without one (no fds left), its workers' stderr is /dev/null: said once.
 */
void
workerlog_open(struct state *st, struct service *svc)
{
	struct workerlog *l = &svc->log;
	int sv[2], on = 1;

	if (l->fd != -1 || svc->conf->stderr_null)
		return;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1) {
		log_warn("service '%s': its workers' stderr goes to /dev/null",
		    svc->conf->name);
		return;
	}
	(void)setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
	(void)shutdown(sv[1], SHUT_RD);
	l->fd = sv[0];
	l->peer = sv[1];
	ev_io_init(&l->io, read_cb, l->fd, EV_READ);
	ev_io_start(st->loop, &l->io);
}

/* Read what is left, then close both ends. */
void
workerlog_close(struct state *st, struct service *svc)
{
	struct workerlog *l = &svc->log;

	if (l->fd == -1)
		return;
	read_cb(st->loop, &l->io, 0);
	ev_io_stop(st->loop, &l->io);
	(void)close(l->fd);
	(void)close(l->peer);
	l->fd = l->peer = -1;
}
