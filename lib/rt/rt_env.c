/*
 * rt_env.c - the runtime's settings, read from the environment once at
 * start. That runs on the kernel-made stack, before the switch to the page
 * (rt_start.c), so these frames are not counted in the page stack's budget.
 */
#include <stdlib.h>

#include "rt.h"
#include "rt_impl.h"

#define RT_DEFAULT_TIMEOUT_S 30

/* A literal message per variable: nothing to format it in. */
#define ENV_SECONDS(name, dflt) env_seconds(name, dflt, name " is not a " \
	"number of seconds from 0 (none) to 86400")

/* Seconds from the environment as milliseconds; 0 means none: -1. */
static int
env_seconds(const char *name, long dflt, const char *bad)
{
	const char *s = getenv(name);
	long v = dflt;
	char *end;

	if (s != NULL && *s != '\0') {
		v = strtol(s, &end, 10);
		if (*end != '\0' || v < 0 || v > 86400)
			rt_die(RT_EXIT_BADINPUT, bad, 0);
	}
	return v == 0 ? -1 : (int)v * 1000;
}

void
rt_timeout_init(void)
{
	rt_state.timeout_ms = ENV_SECONDS("RT_IDLE_TIMEOUT",
	    RT_DEFAULT_TIMEOUT_S);
	rt_state.deadline_ms = ENV_SECONDS("RT_DEADLINE", 0);
	rt_state.conn_end_ms = -1;
}

