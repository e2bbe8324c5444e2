/*
 * client.h - the control socket's clients, shared by control_socket.c
 * (the socket), control.c (a client's life, its command) and
 * control_answer.c (the records of an answer).
 */
#ifndef CONTROL_CLIENT_H
#define CONTROL_CLIENT_H

#include <sys/types.h>
#include <limits.h>
#include <stddef.h>
#include <ev.h>

#include "conf.h"
#include "footprint.h"
#include "log.h"

struct state;
struct table_chunk;

#define CTL_CLIENTS_MAX	64	/* answered at once; more are closed */
#define CTL_LINE_MAX	256	/* a request, its newline included */
#define CTL_OUT_BYTES	4096	/* an answer's buffer, refilled as it drains */
#define CTL_RECORD_MAX	1024	/* room one record may need */
#define CTL_IDLE_S	5.0	/* a client silent or not reading: closed */
#define CTL_ANSWER_MAX_S 10.0	/* an answer read slower than this: closed */
#define CTL_FILLS	16	/* buffers written per wakeup, then yield */

enum ctl_phase {
	CTL_FREE,
	CTL_READ,	/* reading the request line */
	CTL_WAIT,	/* waiting for a fresh sweep of the footprints */
	CTL_RELOAD,	/* waiting for the reload it asked for */
	CTL_WRITE	/* streaming the answer */
};

enum ctl_answer { ANS_STATUS, ANS_WORKERS, ANS_RESULT };

struct ctl_client {
	ev_io		io;		/* readable, then writable */
	ev_timer	timer;		/* idle timeout; reload: polls */
	int		fd;
	enum ctl_phase	phase;
	enum ctl_answer	answer;
	int		done;		/* the answer's last line is in out */
	int		stop;		/* stop the daemon once answered */
	ev_tstamp	asked;		/* when the request came */
	/* the sweep to answer from started then */
	ev_tstamp	need;
	unsigned long	reload_runs;	/* reload: reloads run before it asked */
	ev_tstamp	answering;	/* when its answer began */
	char		line[CTL_LINE_MAX + 1];	/* the request */
	size_t		linelen;
	char		svc[NAME_MAX_LEN];	/* workers SERVICE, or "" */
	struct table_chunk *chunk;	/* workers: the next slot */
	int		index;
	int		nsvc;		/* status: service records written */
	struct fp_sum	total;		/* status: sums at the request */
	char		out[CTL_OUT_BYTES];
	size_t		outlen;
	size_t		outoff;		/* written so far */
};

struct control {
	int		fd;		/* the listening socket */
	ev_io		io;
	ev_timer	pause;		/* accept failed for want of fds */
	uid_t		uid;		/* besides root, the peer allowed */
	int		nclients;
	char		path[PATH_MAX];
	struct ratelimit full_warning;	/* too many clients, or no fds */
	struct ratelimit peer_warning;	/* refused peers */
	struct ctl_client client[CTL_CLIENTS_MAX];
};

/* control.c */
void	control_client(struct state *, int);
void	control_swept(struct state *);

/* control_answer.c */
void	control_answer_begin(struct state *, struct ctl_client *,
	    enum ctl_answer);
void	control_answer_fill(struct state *, struct ctl_client *);
void	control_answer_clean(char *, size_t, const char *);

#endif
