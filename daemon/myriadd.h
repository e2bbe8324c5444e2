/*
 * myriadd.h - the daemon's one state and the tables it holds: the parsed
 * configuration, the services built from it, and the worker slots.
 */
#ifndef MYRIADD_H
#define MYRIADD_H

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <ev.h>

#include "capacity/capacity.h"
#include "capacity/ledger.h"

#define EXIT_CONF	100	/* usage or configuration error */
#define EXIT_BUG	101	/* internal error */
#define EXIT_TEMP	111	/* temporary failure: resources, bind */

/*
 * The daemon's low fds: per spawn slot the fd that becomes the child's fd
 * 0 and the one that becomes its fd 3, then /dev/null; a child keeps fds
 * up to NULL_FD only, so its fd table is the 64-slot one however many
 * fds the daemon holds.
 */
#define SPAWN_SLOTS	16	/* spawns in flight: cloned, not yet exec'd */
#define HANDOVER_FD	3	/* fds 3 to 3 + SPAWN_SLOTS - 1: one a slot */
#define WAITER_FD	(HANDOVER_FD + SPAWN_SLOTS)	/* the same, fd 3 */
#define NULL_FD		(WAITER_FD + SPAWN_SLOTS)	/* /dev/null */
#define CHILD_WAIT_FD	3	/* lib/rt's RT_WAIT_FD */

#define NAME_MAX_LEN	64	/* service name, with its NUL */
#define ADDR_TEXT_MAX	128	/* listen value, with its NUL */
#define ARGS_MAX	32	/* words of exec */
#define ARGS_BYTES	256	/* exec line, split in place */
#define ENV_MAX		64	/* env lines of a service */
#define ENV_BYTES	4096	/* their text */
#define GROUPS_MAX	64	/* supplementary groups of a user */
#define WORKERS_MAX	100000	/* per service */
#define UCSPI_BYTES	512	/* the UCSPI variables of one connection */

#define POOL_RESPAWN_S	1.0	/* at most one spawn per pool slot per second */
#define SPAWN_BACKOFF_S	0.25	/* spawn mode: pause after a spawn failure */
#define ACCEPT_PAUSE_S	0.1	/* pause a listener on EMFILE and the like */
#define REAP_SWEEP_S	5.0	/* look for exits whose event was lost */
#define EXITS_BATCHES	8	/* exit event reads per wakeup */
#define ACCEPT_BATCH	64	/* accepts per listener wakeup */
#define SPAWN_BATCH	256	/* pool spawns per loop iteration, at most */
#define SPAWN_BATCH_S	0.002	/* and for as long: the loop serves between */
#define RELOAD_GAP_S	0.1	/* SIGHUP bursts are coalesced over this */
#define RETIRE_POLL_S	0.01	/* a retiring pool worker busy: look again */
#define RETIRE_STOP_S	0.001	/* SIGSTOP sent: look whether it took */

enum mode { MODE_SPAWN, MODE_POOL };

struct addr {
	struct sockaddr_storage ss;	/* AF_INET, AF_INET6 or AF_UNIX */
	socklen_t	len;		/* of ss as bound */
	int		dual;		/* *:PORT, v6 socket taking v4 too */
	char		text[ADDR_TEXT_MAX];	/* as written in the config */
};

struct svc_conf {
	char		name[NAME_MAX_LEN];
	int		line;		/* of the [name] header */
	unsigned	seen;		/* keys set, 1 << KEY_* (conf.c) */
	struct addr	listen;
	enum mode	mode;
	int		workers;	/* spawn: max concurrent; pool: size */
	double		timeout;	/* spawn: kill after, seconds; 0 none */
	char		path[PATH_MAX];	/* program, resolved */
	char		args[ARGS_BYTES];	/* exec, split in place */
	char		*argv[ARGS_MAX + 1];
	char		envbuf[ENV_BYTES];	/* env lines, NUL separated */
	size_t		envlen;
	char		*envp[ENV_MAX + 1];
	int		nenv;
	int		set_uid;	/* user given */
	int		set_gid;	/* user or group given */
	uid_t		uid;
	gid_t		gid;
	gid_t		groups[GROUPS_MAX];
	int		ngroups;
	long long	memory;		/* memory key: a foreign worker's budget */
	struct share	share;		/* its ledger share; workers = granted */
};

struct conf {
	char		path[PATH_MAX];	/* as given, for messages */
	char		dir[PATH_MAX];	/* exec paths are relative to it */
	char		control[PATH_MAX];	/* control socket (next issue) */
	double		grace;		/* SIGTERM to SIGKILL, seconds */
	enum policy	policy;		/* when the machine cannot hold it */
	struct svc_conf	**svc;
	int		nsvc;
	int		cap;		/* of svc */
};

struct service;

enum wstate {
	W_FREE,		/* on the free list */
	W_LIVE,		/* a process not yet reaped */
	W_WAIT		/* pool slot waiting for its respawn */
};

/* --- footprints (footprint.c) ------------------------------------------ */

/* What one worker was last seen to cost, as smaps_rollup and status say. */
struct footprint {
	unsigned	priv_kb;	/* Private_Clean + Private_Dirty */
	unsigned	pss_kb;		/* Pss */
	unsigned	rss_kb;		/* Rss */
	unsigned	pte_kb;		/* VmPTE: its page tables */
	unsigned short	vmas;		/* lines of maps, [vsyscall] aside */
	unsigned char	sampled;	/* figures read at least once */
	unsigned	detailed_s;	/* VmPTE and vmas read then (epoch s) */
};

/* Sums over live workers: per service, and the total. */
struct fp_sum {
	long long	workers;	/* live */
	long long	priv;		/* bytes, of the sampled ones */
	long long	pss;
	long long	rss;
	long long	pte;
};

/* One worker in a batch for the sampler thread (sampler.c). */
#define FP_BATCH	256
struct fp_item {
	struct worker	*w;		/* the loop's; the thread reads pid only */
	pid_t		pid;
	unsigned char	detail;		/* in: read status and maps; out: read */
	unsigned char	ok;		/* out: figures read */
	unsigned	rss_kb;		/* in: the last; out: now */
	unsigned	priv_kb;	/* the same */
	unsigned	pss_kb;		/* out */
	unsigned	pte_kb;		/* out, if detail */
	unsigned	vmas;		/* out, if detail */
};

/* A sampler thread and its batch: the loop's while not busy. */
#define SAMPLER_THREADS	2	/* one a CPU here: reads use idle time only */
struct fp_batch {
	struct sampler	*s;
	pthread_t	thread;
	sem_t		todo;		/* posted: the batch is the thread's */
	int		busy;		/* the thread has it */
	int		done;		/* the thread is through it (atomic) */
	int		nitems;
	struct fp_item	item[FP_BATCH];
};

/* The sweep: a cursor into the table, batches to the sampler threads. */
struct sampler {
	ev_timer	tick;		/* a sweep asked for, to start */
	ev_async	done;		/* a thread is through its batch */
	struct ev_loop	*loop;		/* for the threads' ev_async_send */
	struct fp_batch	batch[SAMPLER_THREADS];
	struct table_chunk *chunk;	/* next slot to look at */
	int		index;
	int		running;	/* a sweep is under way */
	int		vsyscall;	/* maps lists [vsyscall] on this kernel */
	ev_tstamp	started;	/* of the sweep under way */
	ev_tstamp	swept;		/* start of the last complete sweep */
	double		sweep_s;	/* how long the last sweep took */
	double		stall_max_s;	/* longest loop turn on it since stats */
	long		sampled;	/* workers in the sweep under way */
	long		details;	/* of them, status and maps read */
	long		last_sampled;	/* the same, of the last complete sweep */
	long		last_details;
	long		sweeps;
};

/* --- end footprints ---------------------------------------------------- */

/* A worker slot: 120 bytes, 10,000 of them touched at config load. */
struct worker {
	ev_timer	timer;		/* kill deadline, or respawn delay */
	struct service	*svc;
	struct worker	*next;		/* free list or respawn queue */
	ev_tstamp	started;	/* last spawn attempt */
	ev_tstamp	retired;	/* when told to retire */
	pid_t		pid;		/* while W_LIVE: not reaped yet */
	unsigned	retire_fds;	/* digest of its fds when idle */
	unsigned char	state;		/* enum wstate */
	unsigned char	spawning;	/* 1 + its spawn slot: not exec'd yet */
	unsigned char	failed;		/* its exec failed: not a worker */
	unsigned char	stopping;	/* told to stop: TERM sent or due */
	unsigned char	retiring;	/* pool: to stop once idle (retire.c) */
	unsigned char	retire_step;	/* 0: wait for accept, 1: SIGSTOP sent */
	unsigned char	queued;		/* on the respawn queue */
	struct footprint fp;		/* footprint.c; zeroed by table_take */
};

struct table_chunk {
	struct table_chunk *next;
	int		n;
	struct worker	slot[];
};

struct table {
	struct table_chunk *chunks;
	struct worker	*free;		/* free list */
	int		cap;		/* slots in all chunks */
	int		used;		/* slots not free */
	struct worker	**bypid;	/* live workers by pid, open addressing */
	unsigned	mask;		/* its size less one, a power of two */
};

struct listener {
	int		fd;		/* -1 when closed */
	int		waiter;		/* one-page pool: epoll of fd; -1: none */
	ev_io		io;		/* spawn mode: readable */
	ev_timer	pause;		/* EMFILE or spawn failure backoff */
	int		full;		/* stopped: service at its workers */
	ev_tstamp	warned;		/* last accept warning */
	long		suppressed;	/* warnings not logged since */
};

struct service {
	struct service	*next;
	struct svc_conf	*conf;
	struct listener	lis;
	int		nslots;		/* slots held: live + waiting */
	int		nlive;		/* processes not yet reaped */
	int		nretiring;	/* live ones told to stop */
	int		removed;	/* gone from the config, draining */
	unsigned long	spawned;
	unsigned long	failed;
	ev_tstamp	warned;		/* last spawn failure logged */
	long		suppressed;	/* failures not logged since */
	struct fp_sum	fp;		/* footprint_sum's last sums */
};

/*
 * One spawn in flight (spawn.c, child.c). The child runs on the slot's
 * stack in the daemon's memory until it has exec'd, reading only this.
 */
enum { SLOT_GONE, SLOT_CLONED, SLOT_UNSHARED };

struct spawn_slot {
	int		phase;		/* futex: SLOT_*; the kernel writes GONE */
	int		fd;		/* HANDOVER_FD + index: the child's fd 0 */
	int		wfd;		/* WAITER_FD + index: its fd 3, if waiter */
	int		waiter;		/* pass the listener's waiter as fd 3 */
	int		held;		/* fd, wfd still the daemon's references */
	int		pool;		/* fd 1: /dev/null instead of fd 0 */
	struct worker	*w;		/* being spawned; NULL: slot free */
	const struct svc_conf *sc;
	char		**envp;
	char		*stack_top;
	pid_t		parent;
	struct rlimit	nofile;		/* the worker's RLIMIT_NOFILE */
	struct rlimit	stack;		/* one-page worker: its exec stack */
	struct rlimit	data;		/* foreign worker: its memory budget */
	int		err;		/* written by the child on failure */
	const char	*step;		/* the step that failed */
	char		*env[ENV_MAX + 16];	/* spawn mode: its environment */
	char		ucspi[UCSPI_BYTES];	/* and the UCSPI variables' text */
};

struct state {
	struct ev_loop	*loop;
	struct ledger	ledger;		/* what was promised, and held */
	char		budget[256];	/* the ledger's summary line */
	struct conf	*conf;
	char		conf_abs[PATH_MAX];	/* re-read on SIGHUP */
	struct service	*services;	/* current, then removed ones */
	struct table	table;
	struct worker	*due;		/* pool slots to spawn now */
	struct worker	*due_tail;
	struct spawn_slot spawn[SPAWN_SLOTS];	/* shared with cloned children */
	int		spawn_next;	/* the slot to try first */
	int		spawn_busy;	/* slots with a worker */
	char		*stacks;	/* the slots' stacks, guard pages between */
	size_t		stacks_len;
	pid_t		pid;		/* the daemon's */
	ev_io		exits;		/* exit events (exitev.c) readable */
	ev_signal	sigchld;	/* without exit events: scan on SIGCHLD */
	ev_timer	reap_sweep;	/* with them: a scan now and then */
	unsigned long	exit_scans;	/* scans that found what events missed */
	ev_prepare	release;	/* no connection held while the loop sleeps */
	struct rlimit	nofile;		/* as found at start, for workers */
	int		debug;
	int		ready;		/* ready line said */
	int		stopping;	/* SIGTERM seen */
	int		live;		/* processes not yet reaped */
	unsigned long	spawned;
	unsigned long	reaped;
	unsigned long	failed;
	ev_tstamp	last_reload;
	ev_signal	sigterm, sigint, sighup, sigusr1;
	ev_timer	reload;		/* coalesces SIGHUP */
	ev_check	refill;		/* spawns due pool slots */
	ev_idle		busy;		/* keeps the loop turning meanwhile */
	struct sampler	sampler;	/* footprint.c */
	struct control	*control;	/* control.c; NULL: no control socket */
};

/* conf.c */
struct conf	*conf_load(const char *, const char *);
void		 conf_free(struct conf *);
int		 conf_addr_equal(const struct addr *, const struct addr *);

/* conf_value.c: each returns NULL or what is wrong with the value */
const char	*conf_listen(struct addr *, const char *);
const char	*conf_exec(struct svc_conf *, const char *, const char *);
const char	*conf_user(struct svc_conf *, const char *);
const char	*conf_group(struct svc_conf *, const char *);
const char	*conf_env(struct svc_conf *, const char *);
const char	*conf_number(double *, const char *, double, double);
const char	*conf_size(long long *, const char *);

/* service.c */
struct service	*service_new(struct svc_conf *);
struct service	*service_find(struct state *, const char *);
void		 service_remove(struct state *, struct service *);
void		 service_free(struct state *, struct service *);
void		 service_summary(struct state *, char *, size_t);

/* listen.c */
int		 listen_open(const struct addr *);
void		 listen_start(struct state *, struct service *, int);
int		 listen_detach(struct state *, struct service *);
void		 listen_close(struct state *, struct service *);
void		 listen_full(struct state *, struct service *);
void		 listen_resume(struct state *, struct service *);
void		 listen_pause(struct state *, struct service *, double);

/* env.c */
char		**env_build(struct spawn_slot *, struct service *, int,
		    const struct sockaddr_storage *);

/* spawn.c */
enum spawn_wait { SPAWN_POLL, SPAWN_RELEASE, SPAWN_DRAIN };
int		 spawn_init(struct state *);
struct spawn_slot *spawn_slot(struct state *);
pid_t		 spawn_start(struct state *, struct spawn_slot *,
		    struct worker *, int);
void		 spawn_collect(struct state *, enum spawn_wait);
void		 spawn_settle(struct state *, struct worker *);

/* child.c */
int		 child_main(void *);

/* table.c */
int		 table_reserve(struct state *, int);
struct worker	*table_take(struct state *);
void		 table_put(struct state *, struct worker *);
void		 table_walk(struct state *, void (*)(struct state *,
		    struct worker *, void *), void *);
void		 table_add_pid(struct state *, struct worker *);
void		 table_del_pid(struct state *, struct worker *);
struct worker	*table_find_pid(struct state *, pid_t);

/* worker.c */
struct worker	*worker_new(struct state *, struct service *);
void		 worker_free(struct state *, struct worker *);
int		 worker_start(struct state *, struct worker *, int,
		    const struct sockaddr_storage *);
void		 worker_exec_done(struct state *, struct worker *, int,
		    const char *);
void		 worker_stop(struct state *, struct worker *);
void		 worker_uncharge(struct state *, struct service *);
void		 worker_signal(struct worker *, int);
void		 worker_timer(struct state *, struct worker *, double);
void		 worker_failed(struct state *, struct service *, const char *,
		    int);

/* retire.c */
void		 worker_retire(struct state *, struct worker *);
void		 retire_poll(struct state *, struct worker *);

/* reap.c */
void		 reap_init(struct state *);

/* exitev.c */
int		 exitev_open(void);
int		 exitev_read(int, pid_t, void (*)(void *, pid_t), void *);

/* pool.c */
void		 pool_init(struct state *);
void		 pool_due(struct state *, struct worker *);
void		 pool_fill(struct state *, struct service *);
void		 pool_shrink(struct state *, struct service *);
void		 pool_stop(struct state *, struct service *);
void		 pool_exited(struct state *, struct worker *, int);

/* reload.c */
void		 reload_init(struct state *);
int		 reload_apply(struct state *, struct conf *);

/* stop.c */
void		 stop_init(struct state *);
void		 stop_check(struct state *);

/* proc.c */
#define PROC_PATH_MAX	48	/* "/proc/PID/smaps_rollup" and the like */
void		 proc_path(char *, pid_t, const char *);
ssize_t		 proc_read(pid_t, const char *, char *, size_t);
int		 proc_waiting(pid_t);
char		 proc_state(pid_t);

/* sampler.c */
void		 sampler_start(struct sampler *, struct ev_loop *);
void		 sampler_post(struct fp_batch *);

/* footprint.c */
void		 footprint_init(struct state *);
ev_tstamp	 footprint_need(struct state *);
int		 footprint_fresh(struct state *, ev_tstamp);
void		 footprint_want(struct state *, ev_tstamp);
void		 footprint_sum(struct state *, struct fp_sum *);
void		 footprint_stats(struct state *);

/* control.c */
struct control;
void		 control_open(struct state *, const struct conf *);
void		 control_close(struct state *);
void		 control_swept(struct state *);

/* notify.c */
void		 notify_ready(struct state *);
void		 notify_reloaded(struct state *);

#endif
