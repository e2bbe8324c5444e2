/*
 * mapper.c - test worker: breaks the one-page contract on purpose, to
 * show that its price is enforced. It maps 4 MiB of private and then of
 * shared memory, touches what it got, and tells the client how it went:
 * "private ok|ENOMEM shared ok|ENOMEM".
 */
#include <sys/mman.h>
#include <errno.h>

#include "rt.h"

#define MAP_BYTES	(4 << 20)

static const char *
try_map(int flags)
{
	char *p;

	p = mmap(0, MAP_BYTES, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		return errno == ENOMEM ? "ENOMEM" : "failed";
	p[0] = p[MAP_BYTES - 1] = 1;
	return "ok";
}

static int
report(int in, int out)
{
	(void)in;
	rt_puts(out, "private ");
	rt_puts(out, try_map(MAP_PRIVATE));
	rt_puts(out, " shared ");
	rt_puts(out, try_map(MAP_SHARED));
	rt_puts(out, "\n");
	return RT_EXIT_OK;
}

int
rt_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return rt_serve(report);
}
