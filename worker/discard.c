/* discard.c - RFC 863 discard: read and throw away until the client closes. */
#include "rt.h"

#define DISCARD_CHUNK 512

static char chunk[DISCARD_CHUNK];

static int
discard(int in, int out)
{
	ssize_t n;

	(void)out;
	while ((n = rt_read(in, chunk, DISCARD_CHUNK)) > 0)
		;
	return n == 0 ? RT_EXIT_OK : RT_EXIT_TEMP;
}

int
rt_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return rt_serve(discard);
}
