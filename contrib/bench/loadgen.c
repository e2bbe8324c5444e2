/*
 * loadgen.c - load generator for superservers: short connections per
 * second at a fixed concurrency with latency percentiles, or K held
 * connections timed until each has its first byte. epoll, non-blocking,
 * bounded in count and time.
 *
 * usage: loadgen [-c CONC] [-n TOTAL] [-t SECONDS] [-s REQUEST] [-e MINBYTES]
 *                [-H HOLD_SECONDS] [-k] [-R] HOST:PORT
 *   short mode (default): TOTAL connections (default 10000), CONC at once
 *     (default 16); each connects, sends REQUEST ("\r\n" escapes allowed),
 *     half-closes unless -k, reads to EOF; ok if >= MINBYTES (default 1)
 *     arrived. Stops at TOTAL or after SECONDS (default 60).
 *   -k: no half-close after the request (HTTP needs none); -R: close with
 *     a reset once the answer is in (no FIN exchange, no TIME_WAIT here).
 *   hold mode (-H): opens TOTAL connections, CONC connecting at once, sends
 *     REQUEST, waits for the first byte of each, then holds all of them
 *     HOLD_SECONDS and closes them.
 * Prints one line of key=value pairs; exit 0 if no connection failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum conn_state { IDLE, CONNECTING, READING, HELD };

struct conn {
	int		 fd;
	enum conn_state	 state;
	double		 started;	/* when connect was called */
	long		 got;		/* bytes read */
};

struct load {
	struct sockaddr_in addr;
	char		 request[1024];
	size_t		 request_len;
	long		 total, conc, min_bytes, launched, done, ok, failed;
	long		 first_bytes;	/* hold mode: connections with a byte */
	long		 in_flight;	/* connecting or waiting to read */
	long		*free_slots;	/* stack of idle conns indices */
	long		 nfree;
	double		 deadline, hold_s;
	int		 epfd, hold, keep_open, reset;
	double		*latency;	/* ms per completed connection */
	struct conn	*conns;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
unescape(char *dst, size_t cap, const char *src, size_t *len)
{
	size_t n = 0;

	for (; *src && n + 1 < cap; src++) {
		if (src[0] == '\\' && src[1] == 'r')
			dst[n++] = '\r', src++;
		else if (src[0] == '\\' && src[1] == 'n')
			dst[n++] = '\n', src++;
		else
			dst[n++] = *src;
	}
	*len = n;
}

static void
release(struct load *ld, struct conn *c)
{
	ld->in_flight--;
	ld->free_slots[ld->nfree++] = c - ld->conns;
}

static void
launch(struct load *ld, struct conn *c)
{
	struct epoll_event ev;

	ld->in_flight++;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c->started = now_s();
	c->got = 0;
	ld->launched++;
	if (c->fd == -1 || (connect(c->fd, (struct sockaddr *)&ld->addr,
	    sizeof(ld->addr)) == -1 && errno != EINPROGRESS)) {
		if (c->fd != -1)
			close(c->fd);
		ld->failed++;
		ld->done++;
		c->state = IDLE;
		release(ld, c);
		return;
	}
	c->state = CONNECTING;
	ev.events = EPOLLOUT | EPOLLIN;
	ev.data.ptr = c;
	epoll_ctl(ld->epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

static void
finish(struct load *ld, struct conn *c, int ok)
{
	if (ok && !ld->hold) {
		ld->latency[ld->ok++] = (now_s() - c->started) * 1000;
	} else if (!ok)
		ld->failed++;
	ld->done++;
	if (ld->reset) {
		struct linger lg = { 1, 0 };

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(c->fd);
	c->state = IDLE;
	release(ld, c);
}

static void
on_event(struct load *ld, struct conn *c, unsigned events)
{
	char buf[16384];
	struct epoll_event ev;
	ssize_t n;
	int err = 0;
	socklen_t len = sizeof(err);

	if (c->state == CONNECTING) {
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err || write(c->fd, ld->request, ld->request_len) !=
		    (ssize_t)ld->request_len) {
			finish(ld, c, 0);
			return;
		}
		if (!ld->keep_open && !ld->hold)
			shutdown(c->fd, SHUT_WR);
		c->state = READING;
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		epoll_ctl(ld->epfd, EPOLL_CTL_MOD, c->fd, &ev);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	while ((n = read(c->fd, buf, sizeof(buf))) > 0) {
		c->got += n;
		if (ld->hold && c->state == READING) {
			c->state = HELD;
			ld->first_bytes++;
			ld->in_flight--;
			epoll_ctl(ld->epfd, EPOLL_CTL_DEL, c->fd, NULL);
			return;
		}
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		finish(ld, c, n == 0 && c->got >= ld->min_bytes && !ld->hold);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const struct load *ld, double p)
{
	long i = (long)(p / 100 * (double)(ld->ok - 1) + 0.5);

	return ld->ok ? ld->latency[i] : 0;
}

static void
run(struct load *ld)
{
	struct epoll_event evs[256];
	int n, k;

	for (;;) {
		while (ld->launched < ld->total && ld->in_flight < ld->conc &&
		    ld->nfree > 0)
			launch(ld, &ld->conns[ld->free_slots[--ld->nfree]]);
		if (ld->done == ld->total ||
		    (ld->hold && ld->first_bytes + ld->done == ld->total) ||
		    now_s() > ld->deadline)
			return;
		n = epoll_wait(ld->epfd, evs, 256, 100);
		for (k = 0; k < n; k++)
			on_event(ld, evs[k].data.ptr, evs[k].events);
	}
}

static int
parse_addr(struct load *ld, const char *where)
{
	char host[64];
	const char *colon = strrchr(where, ':');

	if (colon == NULL || (size_t)(colon - where) >= sizeof(host))
		return -1;
	memcpy(host, where, (size_t)(colon - where));
	host[colon - where] = '\0';
	ld->addr.sin_family = AF_INET;
	ld->addr.sin_port = htons((unsigned short)atoi(colon + 1));
	return inet_pton(AF_INET, host, &ld->addr.sin_addr) == 1 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static struct load ld;
	struct rlimit rl;
	double start, secs = 60, elapsed;
	long i, slots;
	int c;

	ld.total = 10000;
	ld.conc = 16;
	ld.min_bytes = 1;
	while ((c = getopt(argc, argv, "c:n:t:s:e:H:kR")) != -1) {
		switch (c) {
		case 'c': ld.conc = atol(optarg); break;
		case 'n': ld.total = atol(optarg); break;
		case 't': secs = atof(optarg); break;
		case 's': unescape(ld.request, sizeof(ld.request), optarg,
		    &ld.request_len); break;
		case 'e': ld.min_bytes = atol(optarg); break;
		case 'H': ld.hold = 1; ld.hold_s = atof(optarg); break;
		case 'k': ld.keep_open = 1; break;
		case 'R': ld.reset = 1; break;
		default: return 100;
		}
	}
	if (optind != argc - 1 || parse_addr(&ld, argv[optind]) == -1 ||
	    ld.total <= 0 || ld.conc <= 0 || ld.request_len == 0) {
		fprintf(stderr, "usage: loadgen [-c CONC] [-n TOTAL] [-t SECONDS] "
		    "-s REQUEST [-e MINBYTES] [-H HOLD_SECONDS] [-k] [-R] HOST:PORT\n");
		return 100;
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	slots = ld.hold ? ld.total : ld.conc;
	ld.conns = calloc((size_t)slots, sizeof(*ld.conns));
	ld.latency = calloc((size_t)ld.total, sizeof(*ld.latency));
	ld.free_slots = calloc((size_t)slots, sizeof(*ld.free_slots));
	for (i = 0; ld.free_slots && i < slots; i++)
		ld.free_slots[ld.nfree++] = slots - 1 - i;
	if (ld.conns == NULL || ld.latency == NULL || ld.free_slots == NULL ||
	    (ld.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		perror("loadgen");
		return 111;
	}
	start = now_s();
	ld.deadline = start + secs;
	run(&ld);
	elapsed = now_s() - start;
	if (ld.hold) {
		printf("mode=hold held=%ld failed=%ld seconds_to_first_byte=%.3f\n",
		    ld.first_bytes, ld.total - ld.first_bytes, elapsed);
		fflush(stdout);
		if (ld.hold_s > 0)
			usleep((useconds_t)(ld.hold_s * 1e6));
		for (i = 0; i < slots; i++)
			if (ld.conns[i].state == HELD)
				close(ld.conns[i].fd);
		return ld.first_bytes == ld.total ? 0 : 1;
	}
	qsort(ld.latency, (size_t)ld.ok, sizeof(double), cmp_double);
	printf("mode=short conc=%ld ok=%ld failed=%ld unfinished=%ld seconds=%.3f "
	    "rate=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
	    ld.conc, ld.ok, ld.failed, ld.total - ld.done, elapsed,
	    ld.ok / elapsed, pct(&ld, 50), pct(&ld, 90), pct(&ld, 99),
	    pct(&ld, 100));
	return ld.failed == 0 && ld.done == ld.total ? 0 : 1;
}
