/*
 * control_answer.c - the records of an answer (myriadctl(8), PROTOCOL):
 * TAB-separated key=value fields, one record a line, then "end". An answer
 * is made a buffer at a time as the client drains it, so 10,000 worker
 * rows need neither memory nor a long stall.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/client.h"
#include "control/control.h"
#include "log.h"
#include "service.h"
#include "state.h"
#include "table.h"

/* What the kernel keeps for every worker besides its pages and tables. */
#define KERNEL_PER_WORKER	(COST_KERNEL_STACK + COST_TASK_OBJECTS)

/* Copy s into dst (len bytes with the NUL), printable ASCII only. */
void
control_answer_clean(char *dst, size_t len, const char *s)
{
	size_t i;

	for (i = 0; i + 1 < len && s[i] != '\0'; i++)
		dst[i] = s[i] >= ' ' && s[i] < 0x7f ? s[i] : '?';
	dst[i] = '\0';
}

/* Append len bytes of s; printable ASCII only unless raw; cut to fit. */
static void
append(struct ctl_client *c, const char *s, size_t len, int raw)
{
	char *p = c->out + c->outlen;
	size_t i;

	if (len > sizeof(c->out) - c->outlen)
		len = sizeof(c->out) - c->outlen;
	if (raw)
		memcpy(p, s, len);
	else
		for (i = 0; i < len; i++)
			p[i] = s[i] >= ' ' && s[i] < 0x7f ? s[i] : '?';
	c->outlen += len;
}

/* "\tKEY=VALUE": 10,000 worker rows are made without stdio. */
static void
put(struct ctl_client *c, const char *key, const char *value)
{
	append(c, "\t", 1, 1);
	append(c, key, strlen(key), 1);
	append(c, "=", 1, 1);
	append(c, value, strnlen(value, ADDR_TEXT_MAX - 1), 0);
}

static void
put_num(struct ctl_client *c, const char *key, long long value)
{
	char num[24], *p = num + sizeof(num);
	unsigned long long v = value < 0 ? 0ULL - (unsigned long long)value :
	    (unsigned long long)value;

	*--p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	if (value < 0)
		*--p = '-';
	put(c, key, p);
}

/* Start a record; put adds its fields, put_line("\n") ends it. */
static void
put_type(struct ctl_client *c, const char *type)
{
	append(c, "type=", 5, 1);
	append(c, type, strlen(type), 1);
}

static void
put_line(struct ctl_client *c, const char *text)
{
	append(c, text, strlen(text), 1);
}

static void
put_sums(struct ctl_client *c, const struct fp_sum *sum)
{
	put_num(c, "workers", sum->workers);
	put_num(c, "private_bytes", sum->priv);
	put_num(c, "pss_bytes", sum->pss);
	put_num(c, "rss_bytes", sum->rss);
	put_num(c, "pagetable_bytes", sum->pte);
	put_num(c, "kernel_bytes", sum->workers * KERNEL_PER_WORKER);
}

static long long
daemon_rss(void)
{
	char buf[128], *p;
	ssize_t n;
	int fd;

	if ((fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((p = strchr(buf, ' ')) == NULL)
		return 0;
	return strtoll(p, NULL, 10) * sysconf(_SC_PAGESIZE);
}

/*
 * The fields of a service and of the total are easy to extend: the
 * ledger's (granted, reserved_bytes) go after put_sums in each.
 */
static void
service_record(struct ctl_client *c, const struct service *svc)
{
	put_type(c, "service");
	put(c, "name", svc->conf->name);
	put(c, "mode", svc->conf->mode == MODE_POOL ? "pool" : "spawn");
	put(c, "listen", svc->conf->listen.text);
	put_sums(c, &svc->fp);
	put_num(c, "spawned", (long long)svc->spawned);
	put_num(c, "failed", (long long)svc->failed);
	put_line(c, "\n");
}

static void
total_record(struct ctl_client *c)
{
	put_type(c, "total");
	put_sums(c, &c->total);
	put_num(c, "daemon_rss_bytes", daemon_rss());
	put_line(c, "\n");
}

/* As myriadctl(8) names them: live, retiring or stopping. */
static const char *
worker_state(const struct worker *w)
{
	switch (w->state) {
	case W_RETIRING:
	case W_HALTED:
		return "retiring";
	case W_STOPPING:
		return "stopping";
	default:
		return "live";
	}
}

static void
worker_record(struct state *st, struct ctl_client *c, const struct worker *w)
{
	const struct footprint *f = &w->fp;

	put_type(c, "worker");
	put_num(c, "pid", (long long)w->pid);
	put(c, "service", w->svc->conf->name);
	put(c, "state", worker_state(w));
	put_num(c, "private_bytes", (long long)f->priv_kb * 1024);
	put_num(c, "pss_bytes", (long long)f->pss_kb * 1024);
	put_num(c, "rss_bytes", (long long)f->rss_kb * 1024);
	put_num(c, "pagetable_bytes", (long long)f->pte_kb * 1024);
	put_num(c, "vmas", (long long)f->vmas);
	put_num(c, "age_s", (long long)(ev_now(st->loop) - w->started));
	put_line(c, "\n");
}

static int
room(const struct ctl_client *c)
{
	return c->outlen + CTL_RECORD_MAX <= sizeof(c->out);
}

static void
fill_status(struct state *st, struct ctl_client *c)
{
	struct service *svc;
	int i;

	while (room(c)) {
		/* By position: a reload between two fills may free one. */
		for (svc = st->services, i = 0; svc && i < c->nsvc; i++)
			svc = svc->next;
		if (svc == NULL) {
			total_record(c);
			put_line(c, "end\n");
			c->done = 1;
			return;
		}
		service_record(c, svc);
		c->nsvc++;
	}
}

static void
fill_workers(struct state *st, struct ctl_client *c)
{
	struct worker *w;

	while (room(c)) {
		if (c->chunk == NULL) {
			put_line(c, "end\n");
			c->done = 1;
			return;
		}
		if (c->index == c->chunk->n) {
			c->chunk = c->chunk->next;
			c->index = 0;
			continue;
		}
		w = &c->chunk->slot[c->index++];
		if (WORKER_PROCESS(w) &&
		    (c->svc[0] == '\0' ||
		    strcmp(c->svc, w->svc->conf->name) == 0))
			worker_record(st, c, w);
	}
}

void
control_answer_begin(struct state *st, struct ctl_client *c,
    enum ctl_answer what)
{
	c->answer = what;
	c->done = 0;
	c->outlen = c->outoff = 0;
	c->nsvc = 0;
	c->chunk = st->table.chunks;
	c->index = 0;
	if (what == ANS_STATUS)
		footprint_sum(st, &c->total);
}

/* Append records while a whole one fits; set done with the last line. */
void
control_answer_fill(struct state *st, struct ctl_client *c)
{
	switch (c->answer) {
	case ANS_STATUS:
		fill_status(st, c);
		break;
	case ANS_WORKERS:
		fill_workers(st, c);
		break;
	case ANS_RESULT:
		put_line(c, "type=result\tok=1\nend\n");
		c->done = 1;
		break;
	}
}
