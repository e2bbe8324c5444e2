/*
 * notify.h - saying the daemon is ready (notify.c): the ready line, and
 * READY=1 to $NOTIFY_SOCKET.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <ev.h>

struct state;

struct notifier {
	ev_check	ready;		/* every pool spawned: say ready */
	int		fd;		/* -r: a newline there when ready, or -1 */
};

void		 notify_init(struct state *);
void		 notify_reloaded(struct state *);

#endif
