/*
 * state.h - the daemon's one state: each module's part in a struct of its
 * own, defined in that module's header; passed to every function, never
 * global.
 */
#ifndef STATE_H
#define STATE_H

#include <sys/resource.h>
#include <sys/types.h>
#include <limits.h>
#include <ev.h>

#include "capacity/ledger.h"
#include "footprint.h"
#include "notify.h"
#include "pool.h"
#include "reap.h"
#include "reload.h"
#include "spawn.h"
#include "stats.h"
#include "stop.h"
#include "table.h"

struct conf;
struct control;
struct service;

/* What the daemon has done since it started. */
struct counts {
	int		live;		/* processes not yet reaped */
	unsigned long	spawned;	/* exec'd */
	unsigned long	reaped;		/* of those, reaped */
	unsigned long	failed;		/* spawns that failed */
};

struct state {
	struct ev_loop	*loop;
	pid_t		pid;		/* the daemon's */
	int		debug;		/* -d */
	int		ready;		/* ready line said */
	int		stopping;	/* SIGTERM seen */
	struct rlimit	nofile;		/* as found at start: bounds workers' */
	struct conf	*conf;		/* in force */
	/* the config's path, absolute, resolved again at each load */
	char		conf_abs[PATH_MAX];
	struct ledger	ledger;		/* what was promised, and held */
	char		budget[1024];	/* the ledger's summary line */
	struct service	*services;	/* current, then removed ones */
	struct counts	counts;
	struct table	table;		/* table.c */
	struct spawner	spawner;	/* spawn.c */
	struct pool_queue pool;		/* pool.c */
	struct reaper	reaper;		/* reap.c */
	struct reloader	reloader;	/* reload.c */
	struct stopper	stopper;	/* stop.c */
	ev_signal	sigusr1;	/* stats.c */
	struct loop_turns turns;	/* stats.c */
	struct notifier	notifier;	/* notify.c */
	struct sampler	sampler;	/* footprint.c */
	struct control	*control;	/* control/; NULL: no control socket */
};

#endif
