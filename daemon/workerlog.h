/*
 * workerlog.h - what a service's workers write on stderr (workerlog.c):
 * one datagram socket per service, read by the daemon and logged with
 * the service and the writer's pid, never the daemon's own fd 2.
 */
#ifndef WORKERLOG_H
#define WORKERLOG_H

#include <ev.h>

struct service;
struct state;

#define WORKERLOG_LINES_S	100	/* lines a service logs a second */
#define WORKERLOG_READS		64	/* datagrams read per wakeup */

struct workerlog {
	int		fd;		/* the daemon's end, or -1 */
	int		peer;		/* the workers' end: their fd 2, or -1 */
	ev_io		io;		/* fd readable */
	ev_tstamp	second;		/* the second whose lines are counted */
	int		lines;		/* lines logged in it */
	long		dropped;	/* lines not logged since the last said */
};

void		 workerlog_init(struct workerlog *);
void		 workerlog_open(struct state *, struct service *);
void		 workerlog_close(struct state *, struct service *);

#endif
