/*
 * rt_io.c - whole reads and writes with EINTR handled and the idle timeout
 * and the connection's deadline applied, so that a silent, stalled or
 * trickling client never holds a worker forever; in as few system calls as
 * that allows (a pool worker's whole cost per connection is accept4, poll,
 * read, send, close).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"
#include "rt_impl.h"

int
rt_timeout_ms(void)
{
	return rt_state.timeout_ms;
}

/*
 * RT_DEADLINE bounds a whole connection, which the idle timeout cannot: it
 * restarts at every byte, so a client trickling one a second would hold
 * the worker forever. The bound is an absolute time taken when the
 * connection starts and compared at every read and write, with the clock
 * read by a clock_gettime system call (the vDSO is gone, rt.h START): one
 * more call per read or write, and only while a deadline is set. A timer
 * would read no clock, but alarm() or setitimer() kill the whole worker by
 * SIGALRM's default action (a pool worker serves many connections, and
 * its exit would be a signal, not 111), a handler needs a signal frame the
 * in-page stack cannot hold, and a timerfd costs every idle worker a file
 * and every wait a second fd, and cannot stop a send already blocked.
 */
void
rt_deadline_start(void)
{
	rt_state.conn_end_ms = rt_state.deadline_ms < 0 ? -1 :
	    rt_now_ms() + rt_state.deadline_ms;
}

long
rt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * wait_ms (-1: forever) cut to what is left of the connection's deadline;
 * PASSED with ETIMEDOUT once it has passed, even with input waiting, as a
 * client that sends without pause must be stopped too. Inlined: the stack
 * budget is the sum of every frame (myriad-cc), and this adds none.
 */
#define PASSED	(-2)
static inline __attribute__((always_inline)) long
cut_to_deadline(long wait_ms)
{
	long left;

	if (rt_state.conn_end_ms < 0)
		return wait_ms;
	if ((left = rt_state.conn_end_ms - rt_now_ms()) <= 0) {
		errno = ETIMEDOUT;
		return PASSED;
	}
	return wait_ms < 0 || left < wait_ms ? left : wait_ms;
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
		if ((wait = cut_to_deadline(wait)) == PASSED)
			return -1;
		n = read_within(fd, buf, len, wait);
	} while (n == -1 && (errno == EINTR || errno == EAGAIN));
	return n;
}

/* The idle timeout, without reading the clock unless a deadline is set. */
ssize_t
rt_read(int fd, void *buf, size_t len)
{
	long wait;
	ssize_t n;

	do {
		wait = rt_state.timeout_ms;
		if ((wait = cut_to_deadline(wait)) == PASSED)
			return -1;
		n = read_within(fd, buf, len, wait);
	} while (n == -1 && (errno == EINTR || errno == EAGAIN));
	return n;
}

/*
 * Bound the blocking writes on a socket: by the idle timeout, set once per
 * connection; under a deadline by what is left of it, set before each.
 */
static int
bound_writes(int fd)
{
	struct timeval tv;
	long wait = rt_state.timeout_ms;

	if (rt_state.conn_end_ms < 0 && (wait < 0 || rt_state.bounded_fd == fd))
		return 0;
	if ((wait = cut_to_deadline(wait)) == PASSED)
		return -1;
	if (wait < 0)
		return 0;
	tv.tv_sec = wait / 1000;
	tv.tv_usec = wait % 1000 * 1000;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	rt_state.bounded_fd = fd;
	return 0;
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

	if (cut_to_deadline(-1) == PASSED)
		return -1;
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
		if (len > 0 && flags != 0) {	/* a socket that is full */
			if (bound_writes(fd) == -1)
				return -1;
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
