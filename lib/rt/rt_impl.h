/* rt_impl.h - the runtime's one state struct and its internal entry points. */
#ifndef RT_IMPL_H
#define RT_IMPL_H

#include <stddef.h>

struct rt_state {
	char		*arena_next;	/* first free byte of the arena */
	char		*arena_end;	/* where the stack budget begins */
	const char	*name;		/* basename of argv[0], for messages */
	int		 timeout_ms;	/* idle timeout per read or write; -1: none */
	int		 bounded_fd;	/* the socket SO_SNDTIMEO was set on */
	int		 argc;		/* argument count for rt_main */
	char		**argv;		/* argument vector, copied into the arena */
	unsigned long	 old_stack_lo;	/* kernel-made stack, unmapped once off it */
	unsigned long	 old_stack_hi;
};

extern struct rt_state rt_state __attribute__((visibility("hidden")));

/* Read RT_IDLE_TIMEOUT from the environment into rt_state.timeout_ms. */
void	rt_timeout_init(void) __attribute__((visibility("hidden")));

#endif
