/*
 * rt_serve.c - one handler for both modes of a superserver: fd 0 connected
 * (spawn mode: serve once) or listening (pool mode: accept, serve, close,
 * forever). See rt.h, SERVING.
 */
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt.h"
#include "rt_impl.h"

static int
is_listening(int fd)
{
	socklen_t len;
	int on = 0;

	len = sizeof(on);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == -1)
		return 0;
	return on;
}

/* An epoll instance on RT_WAIT_FD: myriadd's waiter for fd 0. */
static int
has_waiter(void)
{
	struct epoll_event ev;

	return epoll_wait(RT_WAIT_FD, &ev, 1, 0) != -1;
}

/* Wait for a connection when accept failed; never spin. */
static void
wait_to_accept(int err, int waiter)
{
	struct epoll_event ev;
	struct pollfd pfd;

	switch (err) {
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
		return;
	case EAGAIN:		/* the daemon made the socket non-blocking */
		if (waiter) {
			(void)epoll_wait(RT_WAIT_FD, &ev, 1, -1);
			return;
		}
		pfd.fd = 0;
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, -1);
		return;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		rt_warn("unable to accept, pausing 100 ms", err);
		(void)poll(NULL, 0, 100);
		return;
	default:
		rt_die(RT_EXIT_TEMP, "unable to accept on fd 0", err);
	}
}

int
rt_serve(rt_handler *handler)
{
	int fd, waiter;

	rt_state.bounded_fd = -1;
	if (!is_listening(0)) {
		rt_deadline_start();
		return handler(0, 1);
	}
	waiter = has_waiter();
	for (;;) {
		fd = accept4(0, NULL, NULL, SOCK_CLOEXEC);
		if (fd == -1) {
			wait_to_accept(errno, waiter);
			continue;
		}
		rt_deadline_start();
		(void)handler(fd, fd);
		rt_stack_check();
		close(fd);
		rt_state.bounded_fd = -1;
	}
}
