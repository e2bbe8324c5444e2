/* rt_impl.h - the runtime's one state struct and its internal entry points. */
#ifndef RT_IMPL_H
#define RT_IMPL_H

#include <stddef.h>

#include "rt.h"

struct rt_state {
	char		*arena_next;	/* first free byte of the arena */
	char		*arena_end;	/* where the stack budget begins */
	const char	*name;		/* basename of argv[0], for messages */
	int		 timeout_ms;	/* idle timeout per read or write; -1: none */
	int		 deadline_ms;	/* RT_DEADLINE; -1: none */
	long		 conn_end_ms;	/* rt_now_ms() it ends at; -1: none */
	int		 bounded_fd;	/* the socket SO_SNDTIMEO was set on */
	int		 argc;		/* argument count for rt_main */
	char		**argv;		/* argument vector, copied into the arena */
	unsigned long	*canary;	/* word below the stack; NULL: plain */
	unsigned long	 old_stack_lo;	/* kernel-made stack, unmapped once off it */
	unsigned long	 old_stack_hi;
};

extern struct rt_state rt_state __attribute__((visibility("hidden")));

/* An unlikely word: stack bytes that happen to equal it hide an overflow. */
#define RT_CANARY	0x6d79726961642121UL

/*
 * The in-page stack has no guard page below it, and myriad-cc cannot see
 * recursion through a function pointer: a stack that ran past its end has
 * overwritten the canary, the last word of the arena. Checked after each
 * connection and when rt_main returns, inlined so that it adds no frame
 * to the summed budget. It cannot stop the damage, only keep the worker
 * from going on with a corrupt page.
 */
static inline void
rt_stack_check(void)
{
	if (rt_state.canary != NULL && *rt_state.canary != RT_CANARY)
		rt_die(RT_EXIT_TEMP, "stack overflow: the in-page stack ran "
		    "past RT_STACK_SIZE into the arena", 0);
}

/* Read RT_IDLE_TIMEOUT and RT_DEADLINE from the environment. */
void	rt_timeout_init(void) __attribute__((visibility("hidden")));

/* A connection starts: its deadline is RT_DEADLINE from now. */
void	rt_deadline_start(void) __attribute__((visibility("hidden")));

#endif
