/*
 * printenv.c - test worker: write its environment, one variable a line,
 * to the client, then wait for the client to close. Shows what myriadd
 * passes a spawn-mode worker; held open, it counts as a live connection.
 */
#include "rt.h"

extern char **environ;

static char drain[64];

static int
printenv(int in, int out)
{
	char **e;

	for (e = environ; *e; e++)
		if (rt_puts(out, *e) == -1 || rt_puts(out, "\n") == -1)
			return RT_EXIT_TEMP;
	while (rt_read(in, drain, sizeof(drain)) > 0)
		;
	return RT_EXIT_OK;
}

int
rt_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return rt_serve(printenv);
}
