/*
 * rt_selftest.c - exercises what the runtime changes under libc (argv,
 * environ, auxv, time without the vDSO, the arena, the signal state). Built
 * one-page and plain; the build fails unless both print the same lines.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"

static void
say(const char *key, const char *value)
{
	rt_puts(1, key);
	rt_puts(1, "=");
	rt_puts(1, value);
	rt_puts(1, "\n");
}

static void
say_number(const char *key, unsigned long v)
{
	char buf[24];

	buf[rt_utoa(buf, v)] = '\0';
	say(key, buf);
}

int
rt_main(int argc, char **argv)
{
	struct timespec ts;
	struct sigaction sa;
	char *p;
	int i;

	say_number("argc", (unsigned long)argc);
	for (i = 1; i < argc; i++)
		say("arg", argv[i]);
	say("env", getenv("RT_SELFTEST") ? getenv("RT_SELFTEST") : "(unset)");
	if (getenv("TCPREMOTEIP"))
		say("tcpremoteip", getenv("TCPREMOTEIP"));
	say_number("pagesz", getauxval(AT_PAGESZ));
	say_number("sysconf", (unsigned long)sysconf(_SC_PAGESIZE));
	say("clock", clock_gettime(CLOCK_REALTIME, &ts) == 0 &&
	    ts.tv_sec > 1600000000 && time(NULL) >= ts.tv_sec ? "ok" : "bad");
	p = rt_alloc(100);
	memset(p, 'x', 100);
	say("arena", ((unsigned long)p & 15) == 0 ? "aligned" : "misaligned");
	sigaction(SIGPIPE, NULL, &sa);
	say("sigpipe", sa.sa_handler == SIG_IGN ? "ignored" : "not ignored");
	say_number("timeout_ms", (unsigned long)rt_timeout_ms());
	return 0;
}
