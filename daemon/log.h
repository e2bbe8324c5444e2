/* log.h - the daemon's messages on stderr. */
#ifndef LOG_H
#define LOG_H

#define PRINTF(a, b) __attribute__((format(printf, a, b)))

void	log_init(int);
void	log_warn(const char *, ...) PRINTF(1, 2);
void	log_warnx(const char *, ...) PRINTF(1, 2);
void	log_info(const char *, ...) PRINTF(1, 2);
void	log_debug(const char *, ...) PRINTF(1, 2);
void	log_raw(const char *, ...) PRINTF(1, 2);
void	fatal(const char *, ...) PRINTF(1, 2) __attribute__((noreturn));
void	fatalx(const char *, ...) PRINTF(1, 2) __attribute__((noreturn));
void	fatalx_code(int, const char *, ...) PRINTF(2, 3)
	    __attribute__((noreturn));

#endif
