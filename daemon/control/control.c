/*
 * control.c - a control client's life in a preallocated slot: one request
 * line of at most CTL_LINE_MAX bytes, CTL_IDLE_S of silence allowed, the
 * command run, the answer streamed as the client drains it, then close.
 */
#include <sys/socket.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/client.h"
#include "control/control.h"
#include "log.h"
#include "service.h"
#include "state.h"
#include "table.h"

#define CTL_RELOAD_POLL_S 0.01
#define CTL_RELOAD_MAX_S 60.0
#define CTL_ECHO_MAX	32	/* of an unknown command, in the error */

static void	client_write(struct state *, struct ctl_client *);

static void
client_close(struct state *st, struct ctl_client *c)
{
	ev_io_stop(st->loop, &c->io);
	ev_timer_stop(st->loop, &c->timer);
	(void)close(c->fd);
	c->fd = -1;
	c->phase = CTL_FREE;
	st->control->nclients--;
}

/* One error line, written at once or not at all, then close. */
static void
client_fail(struct state *st, struct ctl_client *c, const char *fmt, ...)
{
	char line[CTL_LINE_MAX];
	va_list ap;
	int n;

	memcpy(line, "error\t", 6);
	va_start(ap, fmt);
	n = vsnprintf(line + 6, sizeof(line) - 7, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(line) - 8)
		n = (int)sizeof(line) - 8;
	line[6 + n] = '\n';
	(void)send(c->fd, line, (size_t)n + 7, MSG_NOSIGNAL | MSG_DONTWAIT);
	client_close(st, c);
}

/*
 * The idle timeout again, but never past the end of the answer's time: a
 * reader that drains a few bytes at a time would otherwise hold its slot
 * for ever, each byte it takes restarting the idle timer.
 */
static void
client_idle_again(struct state *st, struct ctl_client *c)
{
	double left = CTL_IDLE_S, end;

	if (c->phase == CTL_WRITE) {
		end = c->answering + CTL_ANSWER_MAX_S - ev_now(st->loop);
		if (end < left)
			left = end > 0.001 ? end : 0.001;
	}
	c->timer.repeat = left;
	ev_timer_again(st->loop, &c->timer);
}

static void
client_answer(struct state *st, struct ctl_client *c, enum ctl_answer what)
{
	control_answer_begin(st, c, what);
	c->phase = CTL_WRITE;
	c->answering = ev_now(st->loop);
	ev_io_stop(st->loop, &c->io);
	ev_io_set(&c->io, c->fd, EV_WRITE);
	ev_io_start(st->loop, &c->io);
	client_idle_again(st, c);
	client_write(st, c);
}

/* status and workers: from figures at most a sweep old, else after one. */
static void
client_figures(struct state *st, struct ctl_client *c, enum ctl_answer what)
{
	c->answer = what;
	c->need = footprint_need(st);
	footprint_want(st, c->need);
	if (footprint_fresh(st, c->need)) {
		client_answer(st, c, what);
		return;
	}
	c->phase = CTL_WAIT;
	ev_io_stop(st->loop, &c->io);
}

/* As SIGHUP: the reload runs in reload.c; the result is polled for. */
static void
client_reload(struct state *st, struct ctl_client *c)
{
	c->phase = CTL_RELOAD;
	c->reload_runs = st->reloader.runs;
	ev_io_stop(st->loop, &c->io);
	ev_feed_signal_event(st->loop, SIGHUP);
	c->timer.repeat = CTL_RELOAD_POLL_S;
	ev_timer_again(st->loop, &c->timer);
}

static void
client_command(struct state *st, struct ctl_client *c, char *line)
{
	char echo[CTL_ECHO_MAX + 1], *arg;

	if ((arg = strchr(line, ' ')) != NULL)
		*arg++ = '\0';
	c->asked = ev_now(st->loop);
	if (strcmp(line, "workers") == 0 && arg == NULL) {
		c->svc[0] = '\0';
		client_figures(st, c, ANS_WORKERS);
	} else if (strcmp(line, "workers") == 0) {
		if (strlen(arg) >= sizeof(c->svc) || service_find(st, arg) ==
		    NULL) {
			control_answer_clean(echo, sizeof(echo), arg);
			client_fail(st, c, "no service '%s'", echo);
			return;
		}
		memcpy(c->svc, arg, strlen(arg) + 1);
		client_figures(st, c, ANS_WORKERS);
	} else if (arg != NULL && (strcmp(line, "status") == 0 ||
	    strcmp(line, "reload") == 0 || strcmp(line, "stop") == 0))
		client_fail(st, c, "'%s' takes no argument", line);
	else if (strcmp(line, "status") == 0)
		client_figures(st, c, ANS_STATUS);
	else if (st->stopping && (strcmp(line, "reload") == 0 ||
	    strcmp(line, "stop") == 0))
		client_fail(st, c, "myriadd is stopping");
	else if (strcmp(line, "reload") == 0)
		client_reload(st, c);
	else if (strcmp(line, "stop") == 0) {
		c->stop = 1;
		client_answer(st, c, ANS_RESULT);
	} else {
		control_answer_clean(echo, sizeof(echo), line);
		client_fail(st, c, "unknown command '%s'", echo);
	}
}

/* The request is one line; what follows it is ignored. */
static void
client_read(struct state *st, struct ctl_client *c)
{
	char *nl;
	ssize_t n;

	n = read(c->fd, c->line + c->linelen, CTL_LINE_MAX - c->linelen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 && c->linelen == 0) {
		client_close(st, c);
		return;
	}
	if (n > 0)
		c->linelen += (size_t)n;
	c->line[c->linelen] = '\0';
	if ((nl = memchr(c->line, '\n', c->linelen)) != NULL)
		*nl = '\0';
	else if (c->linelen == CTL_LINE_MAX) {
		client_fail(st, c, "line too long");
		return;
	} else if (n > 0)
		return;
	/* A line, or what came before EOF; a NUL in it ends it too. */
	c->line[strcspn(c->line, "\r")] = '\0';
	ev_timer_again(st->loop, &c->timer);
	client_command(st, c, c->line);
}

/* Write what is buffered; refill; yield after CTL_FILLS buffers. */
static void
client_write(struct state *st, struct ctl_client *c)
{
	int fills = 0;
	ssize_t n;

	for (;;) {
		if (c->outoff == c->outlen) {
			if (c->done) {
				if (c->stop)
					ev_feed_signal_event(st->loop, SIGTERM);
				client_close(st, c);
				return;
			}
			if (fills++ == CTL_FILLS)
				return;
			c->outlen = c->outoff = 0;
			control_answer_fill(st, c);
			continue;
		}
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n == -1) {
			client_close(st, c);
			return;
		}
		c->outoff += (size_t)n;
		client_idle_again(st, c);
	}
}

static void
client_io_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct ctl_client *c = (struct ctl_client *)io;
	struct state *st = ev_userdata(loop);

	(void)revents;
	if (c->phase == CTL_READ)
		client_read(st, c);
	else if (c->phase == CTL_WRITE)
		client_write(st, c);
}

static void
client_reload_poll(struct state *st, struct ctl_client *c)
{
	/* A reload run since it asked read the config after it asked. */
	if (st->reloader.runs > c->reload_runs) {
		c->timer.repeat = CTL_IDLE_S;
		if (st->reloader.failed)
			client_fail(st, c, "reload failed, the previous "
			    "configuration stays (the reason is in the log)");
		else
			client_answer(st, c, ANS_RESULT);
	} else if (st->stopping)
		client_fail(st, c, "myriadd is stopping");
	else if (ev_now(st->loop) - c->asked > CTL_RELOAD_MAX_S)
		client_fail(st, c, "no reload after %.0f s", CTL_RELOAD_MAX_S);
}

static void
client_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct ctl_client *c = (struct ctl_client *)((char *)t -
	    offsetof(struct ctl_client, timer));
	struct state *st = ev_userdata(loop);

	(void)revents;
	if (c->phase == CTL_RELOAD)
		client_reload_poll(st, c);
	else if (c->phase == CTL_WRITE &&
	    ev_now(loop) - c->answering >= CTL_ANSWER_MAX_S) {
		log_debug("control: closing a client still reading its answer "
		    "after %.0f s", CTL_ANSWER_MAX_S);
		client_close(st, c);
	} else {
		log_debug("control: closing a client idle for %.0f s",
		    CTL_IDLE_S);
		client_close(st, c);
	}
}

/* A sweep ended: answer the clients that waited for it. */
void
control_swept(struct state *st)
{
	struct control *ctl = st->control;
	int i;

	if (ctl == NULL)
		return;
	for (i = 0; i < CTL_CLIENTS_MAX; i++) {
		if (ctl->client[i].phase != CTL_WAIT)
			continue;
		if (footprint_fresh(st, ctl->client[i].need))
			client_answer(st, &ctl->client[i],
			    ctl->client[i].answer);
		else
			footprint_want(st, ctl->client[i].need);
	}
}

/* A new client, its peer checked: wait for its request in a free slot. */
void
control_client(struct state *st, int fd)
{
	struct control *ctl = st->control;
	struct ctl_client *c;
	int i;

	for (i = 0; ctl->client[i].phase != CTL_FREE; i++)
		;
	c = &ctl->client[i];
	c->fd = fd;
	c->phase = CTL_READ;
	c->linelen = 0;
	c->stop = 0;
	ctl->nclients++;
	ev_io_init(&c->io, client_io_cb, fd, EV_READ);
	ev_io_start(st->loop, &c->io);
	ev_init(&c->timer, client_timer_cb);
	c->timer.repeat = CTL_IDLE_S;
	ev_timer_again(st->loop, &c->timer);
}
