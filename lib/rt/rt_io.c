/*
 * rt_io.c - whole reads and writes with EINTR handled and the idle timeout
 * applied, so that a silent or stalled client never holds a worker forever;
 * in as few system calls as that allows (a pool worker's whole cost per
 * connection is accept4, poll, read, send, close).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"
#include "rt_impl.h"

#define RT_DEFAULT_TIMEOUT_S 30

void
rt_timeout_init(void)
{
	const char *s = getenv("RT_IDLE_TIMEOUT");
	long v = RT_DEFAULT_TIMEOUT_S;
	char *end;

	if (s != NULL && *s != '\0') {
		v = strtol(s, &end, 10);
		if (*end != '\0' || v < 0 || v > 86400)
			rt_die(RT_EXIT_BADINPUT, "RT_IDLE_TIMEOUT is not a number "
			    "of seconds from 0 (none) to 86400", 0);
	}
	rt_state.timeout_ms = v == 0 ? -1 : (int)v * 1000;
}

int
rt_timeout_ms(void)
{
	return rt_state.timeout_ms;
}

long
rt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One wait for input of at most wait_ms (-1: forever), then one read. */
static ssize_t
read_within(int fd, void *buf, size_t len, long wait_ms)
{
	struct pollfd pfd;

	pfd.fd = fd;
	pfd.events = POLLIN;
	switch (poll(&pfd, 1, (int)wait_ms)) {
	case 0:
		errno = ETIMEDOUT;
		return -1;
	case -1:
		return -1;
	}
	return read(fd, buf, len);
}

ssize_t
rt_read_by(int fd, void *buf, size_t len, long deadline_ms)
{
	long wait;
	ssize_t n;

	do {
		wait = -1;
		if (deadline_ms >= 0 && (wait = deadline_ms - rt_now_ms()) < 0)
			wait = 0;
		n = read_within(fd, buf, len, wait);
	} while (n == -1 && (errno == EINTR || errno == EAGAIN));
	return n;
}

/* The idle timeout, without reading the clock (no vDSO: it is a syscall). */
ssize_t
rt_read(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read_within(fd, buf, len, rt_state.timeout_ms);
	while (n == -1 && (errno == EINTR || errno == EAGAIN));
	return n;
}

/* Bound the blocking writes on a socket by the idle timeout, once. */
static void
bound_writes(int fd)
{
	struct timeval tv;

	if (rt_state.timeout_ms < 0 || rt_state.bounded_fd == fd)
		return;
	tv.tv_sec = rt_state.timeout_ms / 1000;
	tv.tv_usec = rt_state.timeout_ms % 1000 * 1000;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	rt_state.bounded_fd = fd;
}

/*
 * A reply that fits the socket buffer goes out in one non-blocking send,
 * with no timeout to set; only a write that must wait is bounded.
 */
int
rt_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	int flags = MSG_DONTWAIT | MSG_NOSIGNAL;
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, flags);
		if (n == -1 && errno == ENOTSOCK) {
			n = write(fd, p, len);		/* a pipe or a file */
			flags = 0;
		}
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN || !(flags & MSG_DONTWAIT)) {
				if (errno == EAGAIN)
					errno = ETIMEDOUT;
				return -1;
			}
			n = 0;
		}
		p += n;
		len -= (size_t)n;
		if (len > 0 && (flags & MSG_DONTWAIT)) {
			bound_writes(fd);
			flags = MSG_NOSIGNAL;
		}
	}
	return 0;
}

int
rt_puts(int fd, const char *s)
{
	return rt_write_all(fd, s, strlen(s));
}
