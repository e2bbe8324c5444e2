/*
 * notify.c - say the daemon is ready, once every pool worker has exec'd:
 * one log line naming every service, READY=1 to $NOTIFY_SOCKET
 * (systemd's sd_notify protocol) when set, and a newline on the -r fd
 * (s6's notification-fd) when given.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "pool.h"
#include "service.h"
#include "spawn.h"
#include "state.h"

#define SUMMARY_MAX 4096

static void
notify_send(const char *msg)
{
	struct sockaddr_un un;
	const char *path;
	size_t n;
	int fd;

	if ((path = getenv("NOTIFY_SOCKET")) == NULL || path[0] == '\0')
		return;
	if ((path[0] != '/' && path[0] != '@') ||
	    (n = strlen(path)) >= sizeof(un.sun_path)) {
		log_warnx("NOTIFY_SOCKET %s: not a UNIX socket path", path);
		return;
	}
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	memcpy(un.sun_path, path, n);
	if (path[0] == '@')
		un.sun_path[0] = '\0';
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("NOTIFY_SOCKET %s", path);
		return;
	}
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&un,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) == -1)
		log_warn("NOTIFY_SOCKET %s", path);
	(void)close(fd);
}

static void
notify_ready(struct state *st)
{
	char summary[SUMMARY_MAX];

	service_summary(st, summary, sizeof(summary));
	log_info("ready: %s; %s", summary, st->budget);
	notify_send("READY=1");
	/* s6-supervise's notification-fd: one newline, then close. */
	if (st->notifier.fd != -1) {
		if (write(st->notifier.fd, "\n", 1) != 1)
			log_warn("-r %d: unable to say ready", st->notifier.fd);
		(void)close(st->notifier.fd);
		st->notifier.fd = -1;
	}
}

/*
 * After the pool's refill in the same loop turn (a lower priority): once
 * its queue is empty, every worker of the first config has been cloned.
 */
static void
ready_cb(struct ev_loop *loop, ev_check *c, int revents)
{
	struct state *st = ev_userdata(loop);

	(void)revents;
	if (st->stopping) {
		ev_check_stop(loop, c);
		return;
	}
	if (pool_pending(st))
		return;
	/*
	 * Ready means every worker has exec'd, not only been cloned: the
	 * spawner's tick turns the loop until the last slot is collected
	 * (or its child killed at the deadline), without blocking it.
	 */
	spawn_collect(st, SPAWN_POLL);
	if (st->spawner.busy > 0)
		return;
	ev_check_stop(loop, c);
	st->ready = 1;
	notify_ready(st);
}

void
notify_init(struct state *st)
{
	ev_check_init(&st->notifier.ready, ready_cb);
	ev_set_priority(&st->notifier.ready, EV_MINPRI);
	ev_check_start(st->loop, &st->notifier.ready);
}

void
notify_reloaded(struct state *st)
{
	char summary[SUMMARY_MAX];

	service_summary(st, summary, sizeof(summary));
	log_info("reloaded: %s; %s", summary, st->budget);
}
