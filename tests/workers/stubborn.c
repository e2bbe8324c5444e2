/*
 * stubborn.c - test worker: ignores SIGTERM and holds its connection until
 * the client closes it, to show that myriadd's SIGKILL after the grace
 * period gets rid of it.
 */
#include <signal.h>

#include "rt.h"

static char buf[64];

static int
hold(int in, int out)
{
	(void)out;
	while (rt_read(in, buf, sizeof(buf)) > 0)
		;
	return RT_EXIT_OK;
}

int
rt_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	signal(SIGTERM, SIG_IGN);
	return rt_serve(hold);
}
