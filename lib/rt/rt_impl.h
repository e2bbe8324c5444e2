/* rt_impl.h - the runtime's one state struct and its internal entry points. */
#ifndef RT_IMPL_H
#define RT_IMPL_H

#include <stddef.h>

struct rt_state {
	char		*arena_next;	/* first free byte of the arena */
	char		*arena_end;	/* where the stack budget begins */
	const char	*name;		/* basename of argv[0], for messages */
	int		 timeout_ms;	/* idle timeout per read or write; -1: none */
	int		 deadline_ms;	/* RT_DEADLINE per connection; -1: none */
	long		 conn_end_ms;	/* rt_now_ms() it ends at; -1: none */
	int		 bounded_fd;	/* the socket SO_SNDTIMEO was set on */
	int		 argc;		/* argument count for rt_main */
	char		**argv;		/* argument vector, copied into the arena */
	unsigned long	 old_stack_lo;	/* kernel-made stack, unmapped once off it */
	unsigned long	 old_stack_hi;
};

extern struct rt_state rt_state __attribute__((visibility("hidden")));

/* Read RT_IDLE_TIMEOUT and RT_DEADLINE from the environment. */
void	rt_timeout_init(void) __attribute__((visibility("hidden")));

/* A connection starts: its deadline is RT_DEADLINE from now. */
void	rt_deadline_start(void) __attribute__((visibility("hidden")));

#endif
