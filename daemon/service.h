/*
 * service.h - a service (service.c): its configuration, its listener, its
 * counts, and the follow-ups of its workers' spawns and exits.
 */
#ifndef SERVICE_H
#define SERVICE_H

#include <sys/wait.h>
#include <stddef.h>

#include "conf.h"
#include "footprint.h"
#include "listen.h"
#include "log.h"
#include "source.h"
#include "workerlog.h"

struct state;
struct svc_conf;
struct worker;

#define SPAWN_BACKOFF_S	0.25	/* spawn mode: pause after a spawn failure */
#define RECOVER_S	1.0	/* retry taking back commit that was taken */

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
	int		unbacked;	/* workers whose commit another
					   process took: not admitted */
	ev_timer	recover;	/* retakes that commit, every second */
	struct source_table sources;	/* spawn mode: workers per source */
	struct workerlog log;		/* its workers' stderr */
	struct ratelimit spawn_warning;	/* spawn failures */
	struct fp_sum	fp;		/* footprint_sum's last sums */
};

/* The workers svc may have now: its config's, less what is not backed. */
static inline int
service_workers(const struct service *svc)
{
	return svc->conf->workers - svc->unbacked;
}

struct service	*service_new(struct svc_conf *);
struct service	*service_find(struct state *, const char *);
void		 service_remove(struct state *, struct service *);
void		 service_free(struct state *, struct service *);
void		 service_summary(struct state *, char *, size_t);
void		 service_exec_done(struct state *, struct worker *, int,
		    const char *);
void		 service_worker_exited(struct state *, struct worker *,
		    const siginfo_t *);
void		 service_slot_freed(struct state *, struct service *);

#endif
