/*
 * service.c - a service: its configuration, its listener and its counts.
 * A service removed by a reload lingers until its last worker is reaped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "myriadd.h"

struct service *
service_new(struct svc_conf *sc)
{
	struct service *svc;

	if ((svc = calloc(1, sizeof(*svc))) == NULL)
		fatal("service '%s'", sc->name);
	svc->conf = sc;
	svc->lis.fd = -1;
	svc->lis.waiter = -1;
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
	free(svc->conf);
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
