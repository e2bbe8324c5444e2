/*
 * rt_plain.c - main() for the same worker built as a plain static musl
 * program (default layout, kernel-made stack, a static arena): the
 * comparison build, and the reference the runtime self-test must match.
 */
#include <signal.h>
#include <string.h>

#include "rt.h"
#include "rt_impl.h"

#define PLAIN_ARENA_BYTES 2048

static char arena[PLAIN_ARENA_BYTES] __attribute__((aligned(16)));
struct rt_state rt_state;

int
main(int argc, char **argv)
{
	const char *slash;

	rt_state.arena_next = arena;
	rt_state.arena_end = arena + sizeof(arena);
	rt_state.name = argv[0] ? argv[0] : "worker";
	if ((slash = strrchr(rt_state.name, '/')) != NULL)
		rt_state.name = slash + 1;
	rt_state.argc = argc;
	rt_state.argv = argv;
	rt_timeout_init();
	signal(SIGPIPE, SIG_IGN);
	return rt_main(argc, argv);
}
