/*
 * rt_arena.c - the arena: the bytes of the worker's page between its
 * statics and its stack. Allocation only, no free; exhaustion is exit 111.
 */
#include "rt.h"
#include "rt_impl.h"

void *
rt_alloc(size_t size)
{
	size_t need = (size + 15) & ~(size_t)15;
	char msg[80], *p = msg;
	void *mem;

	if (need < size || need > rt_arena_left()) {
		p += rt_fmt(p, "arena exhausted: ");
		p += rt_utoa(p, size);
		p += rt_fmt(p, " bytes asked, ");
		p += rt_utoa(p, rt_arena_left());
		p += rt_fmt(p, " left");
		*p = '\0';
		rt_die(RT_EXIT_TEMP, msg, 0);
	}
	mem = rt_state.arena_next;
	rt_state.arena_next += need;
	return mem;
}

size_t
rt_arena_left(void)
{
	return (size_t)(rt_state.arena_end - rt_state.arena_next);
}
