/*
 * log.h - the daemon's messages on stderr, its exit codes, and the one
 * rate limit every repeated warning goes through.
 */
#ifndef LOG_H
#define LOG_H

#define EXIT_CONF	100	/* usage or configuration error */
#define EXIT_BUG	101	/* internal error */
#define EXIT_TEMP	111	/* temporary failure: resources, bind */

#define PRINTF(a, b) __attribute__((format(printf, a, b)))

/* At most one line a second of one kind; the rest are counted. */
struct ratelimit {
	double		last;		/* when a line was last written */
	long		suppressed;	/* lines not written since */
};

void	log_init(int);
void	log_warn(const char *, ...) PRINTF(1, 2);
void	log_warnx(const char *, ...) PRINTF(1, 2);
void	log_info(const char *, ...) PRINTF(1, 2);
void	log_debug(const char *, ...) PRINTF(1, 2);
void	log_raw(const char *, ...) PRINTF(1, 2);
void	log_limited(struct ratelimit *, double, int, const char *, ...)
	    PRINTF(4, 5);
void	fatal(const char *, ...) PRINTF(1, 2) __attribute__((noreturn));
void	fatalx(const char *, ...) PRINTF(1, 2) __attribute__((noreturn));
void	fatalx_code(int, const char *, ...) PRINTF(2, 3)
	    __attribute__((noreturn));

#endif
