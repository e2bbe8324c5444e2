/*
 * listen.h - a service's listening socket (listen.c): opened, watched in
 * spawn mode, paused (never closed) when it must wait, handed over on
 * reload.
 */
#ifndef LISTEN_H
#define LISTEN_H

#include <sys/un.h>
#include <ev.h>

#include "log.h"

struct addr;
struct service;
struct state;

struct listener {
	int		fd;		/* -1 when closed */
	/* one-page pool: epoll of fd; -1: none */
	int		waiter;
	ev_io		io;		/* spawn mode: readable */
	ev_timer	pause;		/* EMFILE or spawn failure backoff */
	int		full;		/* stopped: service at its workers */
	struct ratelimit accept_warning;
};

#define ACCEPT_BATCH	64	/* accepts per listener wakeup */
#define ACCEPT_PAUSE_S	0.1	/* pause a listener on EMFILE and the like */

int		 listen_open(const struct addr *);
int		 listen_unix_dir(const char *, const char **, int);
int		 listen_unix_clear(int, const char *,
		    const struct sockaddr_un *);
void		 listen_start(struct state *, struct service *, int);
int		 listen_detach(struct state *, struct service *);
void		 listen_close(struct state *, struct service *);
void		 listen_full(struct state *, struct service *);
void		 listen_resume(struct state *, struct service *);
void		 listen_pause(struct state *, struct service *, double);

#endif
