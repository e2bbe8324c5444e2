/*
 * retire.c - stop a pool worker without failing a client. A signal wakes
 * a worker blocked in accept, and the kernel lets it take one more
 * connection on its way out: TERM alone would drop that client. So the
 * worker is first stopped (SIGSTOP) while it waits in accept; once it is
 * stopped it is off the socket's wait queue and can take nothing more.
 * If its fds are what they were when it waited in accept it is TERMed
 * (and dies without running again); if it took a connection it is
 * continued to serve it, and tried again.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "proc.h"
#include "retire.h"
#include "state.h"
#include "timer.h"
#include "worker.h"

/*
 * A digest of what the worker's fds are (number and object), so that a
 * connection taken since, even into a reused number, shows; -1 if unknown.
 */
static int
fds_digest(pid_t pid, unsigned *digest)
{
	char path[320], link[64];
	unsigned long sum = 0, h;
	struct dirent *d;
	ssize_t n;
	DIR *dir;

	(void)snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid,
		    d->d_name);
		if ((n = readlink(path, link, sizeof(link) - 1)) < 0)
			n = 0;
		link[n] = '\0';
		h = 5381;
		for (n = 0; d->d_name[n]; n++)
			h = h * 33 + (unsigned char)d->d_name[n];
		for (n = 0; link[n]; n++)
			h = h * 33 + (unsigned char)link[n];
		sum += h * 2654435761UL;
	}
	(void)closedir(dir);
	*digest = (unsigned)(sum ^ (sum >> 32));
	return 0;
}

/* Out of time, or /proc cannot tell: plain TERM. */
static void
retire_now(struct state *st, struct worker *w)
{
	worker_stop(st, w);
}

static void	retire_poll_cb(struct ev_loop *, ev_timer *, int);

static void
retire_later(struct state *st, struct worker *w, double after)
{
	timer_arm(st->loop, &w->timer, retire_poll_cb, after);
}

/* Waiting in accept (RETIRING): stop it there, then see what it holds. */
static void
retire_poll(struct state *st, struct worker *w)
{
	unsigned digest;
	char state;

	if (ev_now(st->loop) - w->retired >= st->conf->grace) {
		retire_now(st, w);
		return;
	}
	if (w->state == W_RETIRING) {
		/* Taken before the accept check: it holds no connection. */
		if (fds_digest(w->pid, &w->retire_fds) == -1) {
			retire_now(st, w);
			return;
		}
		if (!proc_waiting(w->pid)) {
			retire_later(st, w, RETIRE_POLL_S);
			return;
		}
		worker_enter(st, w, W_HALTED);
		worker_signal(w, SIGSTOP);
		retire_later(st, w, RETIRE_STOP_S);
		return;
	}
	if ((state = proc_state(w->pid)) != 'T' && state != 't') {
		retire_later(st, w, RETIRE_STOP_S);
		return;
	}
	if (fds_digest(w->pid, &digest) == 0 && digest == w->retire_fds) {
		retire_now(st, w);
		return;
	}
	/* It took a connection on its way to the stop: let it serve. */
	worker_enter(st, w, W_RETIRING);
	worker_signal(w, SIGCONT);
	retire_later(st, w, RETIRE_POLL_S);
}

static void
retire_poll_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)revents;
	retire_poll(ev_userdata(loop), worker_of_timer(t));
}

/* Stop w once it waits for a connection and holds none. */
void
retire_start(struct state *st, struct worker *w)
{
	if (w->state != W_SPAWNING && w->state != W_LIVE)
		return;
	worker_enter(st, w, W_RETIRING);
	w->retired = ev_now(st->loop);
	retire_poll(st, w);
}
