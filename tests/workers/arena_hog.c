/* arena_hog.c - test worker: allocates from the arena until it runs out. */
#include "rt.h"

int
rt_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (;;)
		rt_alloc(64);
}
