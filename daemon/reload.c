/*
 * reload.c - apply a configuration: at start, and on SIGHUP as inetd does.
 * Every socket the new config needs is opened first, so a failure leaves
 * the old config serving; then unchanged listeners move to the new
 * services, removed services stop accepting and drain, pools are resized.
 * In-flight spawn-mode workers are never killed.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capacity/capacity.h"
#include "conf.h"
#include "listen.h"
#include "log.h"
#include "notify.h"
#include "pool.h"
#include "reload.h"
#include "service.h"
#include "spawn.h"
#include "state.h"
#include "table.h"
#include "timer.h"
#include "workerlog.h"

struct plan {
	struct service	*keep;	/* service carried over, new conf */
	struct service	*from;	/* service whose listener it takes */
	int		fd;	/* the listening socket */
};

static int
same_strings(char *const *a, char *const *b)
{
	for (; *a && *b; a++, b++)
		if (strcmp(*a, *b) != 0)
			return 0;
	return *a == NULL && *b == NULL;
}

/* Can the service keep its workers under the new conf? */
static int
compatible(const struct svc_conf *a, const struct svc_conf *b)
{
	if (a->mode != b->mode)
		return 0;
	if (a->mode == MODE_SPAWN)
		return 1;
	return conf_addr_equal(&a->listen, &b->listen) &&
	    strcmp(a->path, b->path) == 0 &&
	    same_strings(a->argv, b->argv) && same_strings(a->envp, b->envp) &&
	    a->set_uid == b->set_uid && a->uid == b->uid &&
	    a->set_gid == b->set_gid && a->gid == b->gid &&
	    a->ngroups == b->ngroups &&
	    memcmp(a->groups, b->groups, sizeof(gid_t) * (size_t)a->ngroups)
	    == 0 && strcmp(a->workdir, b->workdir) == 0 && a->cmask == b->cmask;
}

/* Once at each load: a service left without a user by oversight. */
static void
root_warn(const struct conf *c)
{
	const struct svc_conf *sc;
	int i;

	for (i = 0; i < c->nsvc; i++) {
		sc = c->svc[i];
		if ((sc->set_uid ? sc->uid : geteuid()) == 0)
			log_warnx("service '%s': its workers run as root",
			    sc->name);
	}
}

static struct service *
listener_owner(struct state *st, const struct addr *a)
{
	struct service *svc;

	for (svc = st->services; svc; svc = svc->next)
		if (!svc->removed && svc->lis.fd != -1 &&
		    conf_addr_equal(&svc->conf->listen, a))
			return svc;
	return NULL;
}

static void
plan_abort(struct plan *plan, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (plan[i].from == NULL && plan[i].fd != -1)
			(void)close(plan[i].fd);
	free(plan);
}

/* Phase 1, which may fail: find or open every listener. */
static struct plan *
plan_make(struct state *st, struct conf *nc)
{
	struct svc_conf *sc;
	struct service *old;
	struct plan *plan;
	int i, need = st->table.used;

	if ((plan = calloc((size_t)nc->nsvc, sizeof(*plan))) == NULL)
		fatal("%s: no memory to plan its services", nc->path);
	for (i = 0; i < nc->nsvc; i++) {
		sc = nc->svc[i];
		need += sc->workers;
		old = service_find(st, sc->name);
		if (old && compatible(old->conf, sc))
			plan[i].keep = old;
		if ((plan[i].from = listener_owner(st, &sc->listen)) != NULL)
			continue;
		if ((plan[i].fd = listen_open(&sc->listen)) == -1) {
			log_warn("service '%s': unable to listen on %s",
			    sc->name, sc->listen.text);
			plan_abort(plan, i);
			return NULL;
		}
	}
	if (table_reserve(st, need) == -1) {
		log_warn("unable to allocate %d worker slots", need);
		plan_abort(plan, nc->nsvc);
		return NULL;
	}
	return plan;
}

/*
 * A spawn-mode service counts its workers by source: room for each; and
 * every service has its workers' stderr socket, unless it is null.
 */
static void
plan_sources(struct state *st, struct service *svc)
{
	workerlog_open(st, svc);
	if (svc->conf->mode == MODE_SPAWN &&
	    source_reserve(&svc->sources, svc->conf->workers) == -1)
		log_warn("service '%s': unable to count its workers by source",
		    svc->conf->name);
}

static struct service *
plan_service(struct state *st, struct svc_conf *sc, struct plan *p)
{
	struct service *svc = p->keep;
	int was;

	if (svc == NULL) {
		svc = service_new(sc);
		plan_sources(st, svc);
		listen_start(st, svc, p->fd);
		if (sc->mode == MODE_POOL)
			pool_fill(st, svc);
		return svc;
	}
	/* Its old listener, if no service took it, goes with its old conf. */
	listen_close(st, svc);
	was = svc->conf->workers;
	spawn_conf_free(st, svc->conf);
	svc->conf = sc;
	/* The plan reserved commit for all it granted: nothing is owed. */
	svc->unbacked = 0;
	ev_timer_stop(st->loop, &svc->recover);
	plan_sources(st, svc);
	listen_start(st, svc, p->fd);
	if (sc->mode == MODE_POOL && sc->workers > was)
		pool_fill(st, svc);
	else if (sc->mode == MODE_POOL && sc->workers < was)
		pool_shrink(st, svc);
	return svc;
}

/* The new config's services in its order, then the draining ones. */
static void
plan_relink(struct state *st, struct plan *plan, int n)
{
	struct service *svc, *next, *drain = NULL, **dt = &drain;
	struct service *head = NULL, **ht = &head;
	int i;

	for (svc = st->services; svc; svc = next) {
		next = svc->next;
		if (svc->removed) {
			*dt = svc;
			dt = &svc->next;
		}
	}
	*dt = NULL;
	for (i = 0; i < n; i++) {
		*ht = plan[i].keep;
		ht = &plan[i].keep->next;
	}
	*ht = drain;
	st->services = head;
}

/* Phase 2, which cannot fail. */
static void
plan_apply(struct state *st, struct conf *nc, struct plan *plan)
{
	struct service *svc, *next;
	int i;

	for (i = 0; i < nc->nsvc; i++)
		if (plan[i].from)
			plan[i].fd = listen_detach(st, plan[i].from);
	for (svc = st->services; svc; svc = next) {
		next = svc->next;
		for (i = 0; i < nc->nsvc && plan[i].keep != svc; i++)
			;
		if (i == nc->nsvc && !svc->removed)
			service_remove(st, svc);
	}
	for (i = 0; i < nc->nsvc; i++)
		plan[i].keep = plan_service(st, nc->svc[i], &plan[i]);
	plan_relink(st, plan, nc->nsvc);
}

/*
 * Make nc the running configuration. Returns -1, with the old one still
 * in force, when a listener cannot be opened or slots allocated.
 */
int
reload_apply(struct state *st, struct conf *nc)
{
	struct plan *plan;

	if (capacity_plan(st, nc) == -1 || (plan = plan_make(st, nc)) == NULL)
		return -1;
	root_warn(nc);
	/* Children not yet exec'd keep the configs they read (spawn.c). */
	plan_apply(st, nc, plan);
	free(plan);
	/* The services own their svc_conf now. */
	free(nc->svc);
	nc->svc = NULL;
	nc->nsvc = nc->cap = 0;
	conf_free(st->conf);
	st->conf = nc;
	return 0;
}

static void
reload_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct state *st = ev_userdata(loop);
	struct conf *nc;

	(void)t;
	(void)revents;
	if (st->stopping)
		return;
	st->reloader.last = ev_now(loop);
	st->reloader.runs++;
	log_info("reloading %s", st->conf->path);
	/* Resolved anew: a symbolic link flipped since is followed. */
	if ((nc = conf_load(st->conf->path, st->conf_abs)) == NULL ||
	    reload_apply(st, nc) == -1) {
		conf_free(nc);
		st->reloader.failed = 1;
		log_warnx("reload failed, keeping the previous configuration");
		return;
	}
	st->reloader.failed = 0;
	notify_reloaded(st);
}

/* SIGHUP: reload soon; a burst of them makes one reload. */
static void
hup_cb(struct ev_loop *loop, ev_signal *sig, int revents)
{
	struct state *st = ev_userdata(loop);
	double delay;

	(void)sig;
	(void)revents;
	if (st->stopping || ev_is_active(&st->reloader.gap))
		return;
	delay = st->reloader.last + RELOAD_GAP_S - ev_now(loop);
	timer_arm(loop, &st->reloader.gap, reload_cb, delay);
}

void
reload_init(struct state *st)
{
	ev_signal_init(&st->reloader.sighup, hup_cb, SIGHUP);
	ev_signal_start(st->loop, &st->reloader.sighup);
	ev_init(&st->reloader.gap, reload_cb);
}
