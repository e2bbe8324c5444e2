/*
 * capacity.c - the capacity proof, at start and on every reload: price
 * every worker the new configuration asks for, check that the machine can
 * hold them all with what the live workers already hold, then refuse it or
 * cap each service, naming each shortfall. Nothing is bound before this.
 */
#include <stdlib.h>
#include <string.h>

#include "capacity/capacity.h"
#include "capacity/ledger.h"
#include "conf.h"
#include "log.h"
#include "service.h"
#include "state.h"

/* What the live workers hold comes back to the plan that replaces theirs. */
static void
credit_of(struct state *st, struct credit *cr)
{
	struct service *svc;
	const struct share *sh;

	memset(cr, 0, sizeof(*cr));
	for (svc = st->services; svc; svc = svc->next) {
		sh = &svc->conf->share;
		cr->bytes += (long long)svc->nlive * ledger_worker_bytes(sh);
		cr->commit += (long long)svc->nlive * sh->cost.commit;
		cr->pids += svc->nlive;
		cr->fds += svc->lis.fd != -1;
	}
	cr->commit += (long long)st->ledger.commit_len;
}

static int
price(struct conf *nc, struct share *shares)
{
	struct svc_conf *sc;
	const char *why;
	int i;

	for (i = 0; i < nc->nsvc; i++) {
		sc = nc->svc[i];
		if (cost_of(sc->path, sc->memory, &sc->share.cost, &why)
		    == -1) {
			log_warnx("service '%s': %s: %s", sc->name, sc->path,
			    why);
			return -1;
		}
		sc->share.name = sc->name;
		sc->share.asked = sc->workers;
		sc->share.spawn_mode = sc->mode == MODE_SPAWN;
		shares[i] = sc->share;
	}
	return 0;
}

static void
log_lines(const char *prefix, char *report)
{
	char *line, *save = NULL;

	for (line = strtok_r(report, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save))
		log_warnx("%s%s", prefix, line);
}

/* Apply the grants: each service's workers becomes what it was granted. */
static long long
grant(struct conf *nc, const struct share *shares, char *report)
{
	struct svc_conf *sc;
	long long commit = 0;
	int i, capped = 0;

	for (i = 0; i < nc->nsvc; i++) {
		sc = nc->svc[i];
		sc->share.granted = shares[i].granted;
		commit += (long long)sc->share.granted * sc->share.cost.commit;
		if (sc->share.granted < sc->workers) {
			log_warnx("service '%s': capped from %d to %d workers",
			    sc->name, sc->workers, sc->share.granted);
			sc->workers = sc->share.granted;
			capped = 1;
		}
	}
	if (capped)
		log_lines("capped because ", report);
	return commit;
}

int
capacity_plan(struct state *st, struct conf *nc)
{
	struct share *shares;
	struct credit cr;
	char report[2048];
	long long commit;

	if ((shares = calloc((size_t)nc->nsvc + 1, sizeof(*shares))) == NULL)
		fatal("%s: no memory to price its services", nc->path);
	if (price(nc, shares) == -1) {
		free(shares);
		return -1;
	}
	credit_of(st, &cr);
	st->ledger.policy = nc->policy;
	if (ledger_plan(&st->ledger, shares, nc->nsvc, &cr, report,
	    sizeof(report)) == -1) {
		log_lines("refusing the configuration: ", report);
		free(shares);
		return -1;
	}
	/* Commit the live workers hold already is not asked for twice. */
	commit = grant(nc, shares, report) -
	    (cr.commit - (long long)st->ledger.commit_len);
	if (ledger_reserve(&st->ledger, commit) == -1) {
		log_warn("refusing the configuration: unable to hold %lld "
		    "bytes of commit (vm.overcommit_memory=2)", commit);
		free(shares);
		return -1;
	}
	ledger_summary(&st->ledger, shares, nc->nsvc, st->budget,
	    sizeof(st->budget));
	free(shares);
	return 0;
}
