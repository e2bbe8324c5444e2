/*
 * log.c - one line per message on stderr, "myriadd: [LEVEL: ]TEXT[: ERRNO]",
 * written with a single write that never waits for the reader, and the
 * rate limit of warnings that a fault can repeat thousands of times.
 * Workers do not share this fd: their stderr comes through workerlog.c.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 1024

/*
 * Constant after start, set once by log_init: -d, and where lines go. A
 * pipe or terminal is opened again, non-blocking, so that a reader that
 * stalls costs lines, never the loop (O_NONBLOCK on fd 2 itself would
 * change it for whoever shares it); a socket is sent to without waiting;
 * a file never waits on a reader.
 */
static int log_debugging;
static int log_fd = STDERR_FILENO;
static int log_socket;
static long log_lost;	/* lines the reader had no room for */

void
log_init(int debug)
{
	struct stat sb;
	int fd;

	log_debugging = debug;
	if (fstat(STDERR_FILENO, &sb) == -1 || S_ISREG(sb.st_mode))
		return;
	if (S_ISSOCK(sb.st_mode)) {
		log_socket = 1;
		return;
	}
	if ((fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) != -1)
		log_fd = fd;
}

static ssize_t
log_put(const char *line, size_t n)
{
	if (log_socket)
		return send(STDERR_FILENO, line, n, MSG_DONTWAIT |
		    MSG_NOSIGNAL);
	return write(log_fd, line, n);
}

/* One line, whole or not at all; first the count of those lost, if any. */
static void
log_write(const char *line, size_t n)
{
	char lost[80];
	int err = errno, r;

	if (log_lost) {
		r = snprintf(lost, sizeof(lost), "myriadd: warning: %ld log "
		    "lines lost: the log's reader was full\n", log_lost);
		if (r > 0 && log_put(lost, (size_t)r) == r)
			log_lost = 0;
	}
	if (log_lost || log_put(line, n) != (ssize_t)n)
		log_lost++;
	errno = err;
}

/* Append what snprintf wrote to a line of n bytes so far, cut to fit. */
static size_t
line_grow(size_t n, int r, size_t size)
{
	if (r > 0)
		n += (size_t)r;
	return n > size - 2 ? size - 2 : n;
}

static void
log_emit_more(const char *level, int err, long more, const char *fmt,
    va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t n;

	n = line_grow(0, snprintf(line, sizeof(line), "myriadd: %s", level),
	    sizeof(line));
	n = line_grow(n, vsnprintf(line + n, sizeof(line) - n, fmt, ap),
	    sizeof(line));
	if (err)
		n = line_grow(n, snprintf(line + n, sizeof(line) - n, ": %s",
		    strerror(err)), sizeof(line));
	if (more)
		n = line_grow(n, snprintf(line + n, sizeof(line) - n,
		    " (%ld more since the last line)", more), sizeof(line));
	line[n++] = '\n';
	log_write(line, n);
}

static void
log_emit(const char *level, int err, const char *fmt, va_list ap)
{
	log_emit_more(level, err, 0, fmt, ap);
}

void
log_warn(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	log_emit("warning: ", err, fmt, ap);
	va_end(ap);
	errno = err;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit("warning: ", 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit("", 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debugging)
		return;
	va_start(ap, fmt);
	log_emit("debug: ", 0, fmt, ap);
	va_end(ap);
}

/*
 * A warning, with errno's text if err is not 0, unless one of its kind
 * went out less than a second before now: then it is only counted, and
 * the next line written says how many were not.
 */
void
log_limited(struct ratelimit *rl, double now, int err, const char *fmt, ...)
{
	va_list ap;

	if (now - rl->last < 1.0) {
		rl->suppressed++;
		return;
	}
	va_start(ap, fmt);
	log_emit_more("warning: ", err, rl->suppressed, fmt, ap);
	va_end(ap);
	rl->last = now;
	rl->suppressed = 0;
}

/* A line without the "myriadd: " prefix: config errors are FILE:LINE: ... */
void
log_raw(const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	if ((size_t)r > sizeof(line) - 2)
		r = sizeof(line) - 2;
	line[r++] = '\n';
	log_write(line, (size_t)r);
}

void
fatal(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	log_emit("fatal: ", err, fmt, ap);
	va_end(ap);
	exit(EXIT_TEMP);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit("fatal: ", 0, fmt, ap);
	va_end(ap);
	exit(EXIT_TEMP);
}

void
fatalx_code(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit("fatal: ", 0, fmt, ap);
	va_end(ap);
	exit(code);
}
