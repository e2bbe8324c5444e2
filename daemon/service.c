/*
 * service.c - a service: its configuration, its listener and its counts,
 * and what follows when one of its spawns fails or a worker exits: the
 * listener paused or resumed, the pool slot respawned or freed. A service
 * removed by a reload lingers until its last worker is reaped.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capacity/ledger.h"
#include "conf.h"
#include "listen.h"
#include "log.h"
#include "pool.h"
#include "service.h"
#include "spawn.h"
#include "state.h"
#include "worker.h"

/*
 * Take back, a worker at a time, the commit another process had taken;
 * each worker backed again is admitted again.
 */
static void
recover_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct service *svc = (struct service *)((char *)t -
	    offsetof(struct service, recover));
	struct state *st = ev_userdata(loop);
	int back = 0;

	(void)revents;
	while (svc->unbacked > 0 &&
	    ledger_give(&st->ledger, svc->conf->share.cost.commit) == 0) {
		svc->unbacked--;
		back++;
	}
	if (svc->unbacked == 0)
		ev_timer_stop(loop, t);
	if (back == 0)
		return;
	log_info("service '%s': commit back for %d workers, %d now",
	    svc->conf->name, back, service_workers(svc));
	if (svc->conf->mode == MODE_POOL)
		pool_fill(st, svc);
	else
		listen_resume(st, svc);
}

struct service *
service_new(struct svc_conf *sc)
{
	struct service *svc;

	if ((svc = calloc(1, sizeof(*svc))) == NULL)
		fatal("service '%s': no memory for it", sc->name);
	svc->conf = sc;
	svc->lis.fd = -1;
	svc->lis.waiter = -1;
	ev_init(&svc->recover, recover_cb);
	workerlog_init(&svc->log);
	svc->recover.repeat = RECOVER_S;
	return svc;
}

struct service *
service_find(struct state *st, const char *name)
{
	struct service *svc;

	for (svc = st->services; svc; svc = svc->next)
		if (!svc->removed && strcmp(svc->conf->name, name) == 0)
			return svc;
	return NULL;
}

/* Gone from the config: no more accepts, stop its pool, drain the rest. */
void
service_remove(struct state *st, struct service *svc)
{
	svc->removed = 1;
	listen_close(st, svc);
	pool_drop(st, svc);
	if (svc->conf->mode == MODE_POOL)
		pool_stop(st, svc);
	log_debug("service '%s' removed, %d workers left", svc->conf->name,
	    svc->nlive);
	if (svc->nslots == 0)
		service_free(st, svc);
}

void
service_free(struct state *st, struct service *svc)
{
	struct service **pp;

	for (pp = &st->services; *pp; pp = &(*pp)->next)
		if (*pp == svc) {
			*pp = svc->next;
			break;
		}
	listen_close(st, svc);
	ev_timer_stop(st->loop, &svc->recover);
	source_free(&svc->sources);
	workerlog_close(st, svc);
	spawn_conf_free(st, svc->conf);
	free(svc);
}

static const char *
mode_name(enum mode m)
{
	return m == MODE_POOL ? "pool" : "spawn";
}

/* "NAME ADDRESS MODE WORKERS, ..." of the services in the config. */
void
service_summary(struct state *st, char *buf, size_t len)
{
	struct service *svc;
	size_t n = 0;
	int r;

	buf[0] = '\0';
	for (svc = st->services; svc && n < len; svc = svc->next) {
		if (svc->removed)
			continue;
		r = snprintf(buf + n, len - n, "%s%s %s %s %d",
		    n ? ", " : "", svc->conf->name, svc->conf->listen.text,
		    mode_name(svc->conf->mode), svc->conf->workers);
		if (r < 0)
			break;
		n += (size_t)r;
	}
}

/*
 * The spawner's word on an exec (spawn_init's done): the worker counts
 * it; a spawn-mode service backs off after a failure.
 */
void
service_exec_done(struct state *st, struct worker *w, int err,
    const char *step)
{
	struct service *svc = w->svc;

	worker_exec_done(st, w, err, step);
	if (err != 0 && svc->conf->mode == MODE_SPAWN && !svc->removed)
		listen_pause(st, svc, SPAWN_BACKOFF_S);
}

/* A slot of svc went back to the table. */
void
service_slot_freed(struct state *st, struct service *svc)
{
	if (svc->removed) {
		if (svc->nslots == 0)
			service_free(st, svc);
	} else if (svc->conf->mode == MODE_SPAWN)
		listen_resume(st, svc);
}

/*
 * w's process is reaped (si says how it ended): its slot waits for a
 * respawn or is freed.
 */
void
service_worker_exited(struct state *st, struct worker *w,
    const siginfo_t *si)
{
	struct service *svc = w->svc;
	int retired = WORKER_TOLD_TO_STOP(w);

	ev_timer_stop(st->loop, &w->timer);
	/* A worker that died starting failed as an exec does. */
	if (worker_died_starting(st, w, si) && svc->conf->mode == MODE_SPAWN &&
	    !svc->removed)
		listen_pause(st, svc, SPAWN_BACKOFF_S);
	/* A failed exec was counted as a failure, not as a worker. */
	if (w->state != W_FAILED)
		st->counts.reaped++;
	worker_enter(st, w, W_WAIT);
	worker_uncharge(st, svc);
	if (svc->unbacked > 0 && !ev_is_active(&svc->recover))
		ev_timer_again(st->loop, &svc->recover);
	if (svc->conf->mode == MODE_POOL && !svc->removed && !st->stopping &&
	    pool_respawn(st, w, retired))
		return;
	worker_free(st, w);
	service_slot_freed(st, svc);
}
