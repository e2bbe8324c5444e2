/*
 * footprint.h - what workers cost (footprint.c): a sweep of the worker
 * table, run only when a client asks, its /proc reads done by SCHED_IDLE
 * threads (sampler.c) a batch at a time.
 */
#ifndef FOOTPRINT_H
#define FOOTPRINT_H

#include <sys/types.h>
#include <ev.h>

struct state;
struct worker;
struct table_chunk;

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

/* One worker in a batch for a sampler thread. */
#define FP_BATCH	256
struct fp_item {
	/* the loop's; the thread reads pid only */
	struct worker	*w;
	pid_t		pid;
	/* in: read status and maps; out: read */
	unsigned char	detail;
	unsigned char	ok;		/* out: figures read */
	unsigned	rss_kb;		/* in: the last; out: now */
	unsigned	priv_kb;	/* the same */
	unsigned	pss_kb;		/* out */
	unsigned	pte_kb;		/* out, if detail */
	unsigned	vmas;		/* out, if detail */
};

/* A sampler thread's batch: the loop's while not busy. */
#define SAMPLER_THREADS	2	/* one a CPU here: reads use idle time only */
struct sampler_thread;
struct fp_batch {
	struct sampler	*s;
	struct sampler_thread *thread;	/* sampler.c's */
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
	/* maps lists [vsyscall] on this kernel */
	int		vsyscall;
	ev_tstamp	started;	/* of the sweep under way */
	ev_tstamp	swept;		/* start of the last complete sweep */
	double		sweep_s;	/* how long the last sweep took */
	/* longest loop turn on it since stats */
	double		stall_max_s;
	long		sampled;	/* workers in the sweep under way */
	long		details;	/* of them, status and maps read */
	/* the same, of the last complete sweep */
	long		last_sampled;
	long		last_details;
	long		sweeps;
	void		(*swept_cb)(struct state *);	/* told of each sweep */
};

/* footprint.c */
void		 footprint_init(struct state *);
void		 footprint_on_sweep(struct state *, void (*)(struct state *));
ev_tstamp	 footprint_need(struct state *);
int		 footprint_fresh(struct state *, ev_tstamp);
void		 footprint_want(struct state *, ev_tstamp);
void		 footprint_sum(struct state *, struct fp_sum *);
void		 footprint_stats(struct state *);

/* sampler.c */
void		 sampler_start(struct sampler *, struct ev_loop *);
void		 sampler_post(struct fp_batch *);

#endif
