/* echo.c - RFC 862 echo: send back whatever arrives until the client closes. */
#include "rt.h"

#define ECHO_CHUNK 512

static char chunk[ECHO_CHUNK];

static int
echo(int in, int out)
{
	ssize_t n;

	while ((n = rt_read(in, chunk, ECHO_CHUNK)) > 0)
		if (rt_write_all(out, chunk, (size_t)n) == -1)
			return RT_EXIT_TEMP;
	return n == 0 ? RT_EXIT_OK : RT_EXIT_TEMP;
}

int
rt_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return rt_serve(echo);
}
