/*
 * rt_log.c - messages on fd 2 without stdio, and the small formatting
 * helpers they need.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "rt.h"
#include "rt_impl.h"

static void
say(const char *level, const char *msg, int err)
{
	struct iovec iov[6];
	int n = 0;

#define PART(s) (iov[n].iov_base = (void *)(s), iov[n++].iov_len = strlen(s))
	PART(rt_state.name ? rt_state.name : "worker");
	PART(level);
	PART(msg);
	if (err) {
		PART(": ");
		PART(strerror(err));
	}
	PART("\n");
#undef PART
	(void)writev(2, iov, n);
}

void
rt_die(int code, const char *msg, int err)
{
	say(": fatal: ", msg, err);
	_exit(code);
}

void
rt_warn(const char *msg, int err)
{
	say(": warning: ", msg, err);
}

size_t
rt_utoa(char *buf, unsigned long v)
{
	char tmp[20];
	size_t n = 0, i;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

size_t
rt_fmt(char *buf, const char *s)
{
	size_t n = strlen(s);

	memcpy(buf, s, n);
	return n;
}
