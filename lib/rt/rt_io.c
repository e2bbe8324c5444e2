/*
 * rt_io.c - whole reads and writes with EINTR handled and the idle timeout
 * applied, so that a silent or stalled client never holds a worker forever.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
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

ssize_t
rt_read_by(int fd, void *buf, size_t len, long deadline_ms)
{
	struct pollfd pfd;
	long wait;
	ssize_t n;

	for (;;) {
		wait = -1;
		if (deadline_ms >= 0 && (wait = deadline_ms - rt_now_ms()) < 0)
			wait = 0;
		pfd.fd = fd;
		pfd.events = POLLIN;
		switch (poll(&pfd, 1, (int)wait)) {
		case 0:
			errno = ETIMEDOUT;
			return -1;
		case -1:
			if (errno == EINTR)
				continue;
			return -1;
		}
		n = read(fd, buf, len);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		return n;
	}
}

ssize_t
rt_read(int fd, void *buf, size_t len)
{
	long deadline = -1;

	if (rt_state.timeout_ms >= 0)
		deadline = rt_now_ms() + rt_state.timeout_ms;
	return rt_read_by(fd, buf, len, deadline);
}

/* Socket writes are bounded by SO_SNDTIMEO, which rt_serve sets. */
int
rt_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				errno = ETIMEDOUT;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
rt_puts(int fd, const char *s)
{
	return rt_write_all(fd, s, strlen(s));
}
