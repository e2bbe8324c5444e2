/*
 * timer.h - (re)arm a one-shot libev timer with the callback for this
 * use of it: a worker slot's one timer serves the kill deadline, the
 * grace period, the pool's respawn delay and the retire poll, each with
 * its own callback in its own module.
 */
#ifndef TIMER_H
#define TIMER_H

#include <ev.h>

static inline void
timer_arm(struct ev_loop *loop, ev_timer *t,
    void (*cb)(struct ev_loop *, ev_timer *, int), double after)
{
	ev_timer_stop(loop, t);
	ev_set_cb(t, cb);
	ev_timer_set(t, after > 0 ? after : 0, 0);
	ev_timer_start(loop, t);
}

#endif
