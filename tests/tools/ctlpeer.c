/*
 * ctlpeer.c - test client for myriadd's control socket, doing what
 * myriadctl never does.
 *
 * -b BYTES: send a line of BYTES bytes (as much of it as the daemon takes),
 *    read the answer to EOF; prints "answer LINE" and "closed after MS ms"
 *    (from the first byte sent).
 * -n N: open N connections and send nothing; prints "connected N", then
 *    "open after 1000 ms: K", then "last closed after MS ms" and "open at
 *    end: K" once all are closed or -t SECONDS (default 10) have passed.
 * -q LINE: connect, print "connected", wait -d MS (default 0), send LINE
 *    and read the answer to EOF; prints "answer LINE" and "answered after
 *    MS ms" (from the line sent): the daemon's latency, not a new
 *    client's start-up.
 *
 * usage: ctlpeer (-b BYTES | -n N [-t SECONDS] | -q LINE [-d MS]) PATH
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
connect_to(const char *path)
{
	struct sockaddr_un un;
	int fd;

	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&un, sizeof(un)) == -1) {
		perror(path);
		exit(111);
	}
	return fd;
}

static int
big_line(const char *path, size_t bytes)
{
	static char chunk[65536], answer[4096];
	size_t sent = 0, n, got = 0;
	ssize_t r;
	double t0;
	int fd = connect_to(path);

	memset(chunk, 'a', sizeof(chunk));
	t0 = now_ms();
	while (sent < bytes) {
		n = bytes - sent < sizeof(chunk) ? bytes - sent : sizeof(chunk);
		if ((r = send(fd, chunk, n, MSG_NOSIGNAL)) <= 0)
			break;	/* the daemon closed: read what it said */
		sent += (size_t)r;
	}
	if (sent == bytes)
		(void)send(fd, "\n", 1, MSG_NOSIGNAL);
	while (got < sizeof(answer) - 1 &&
	    (r = read(fd, answer + got, sizeof(answer) - 1 - got)) > 0)
		got += (size_t)r;
	answer[got] = '\0';
	answer[strcspn(answer, "\n")] = '\0';
	printf("answer %s\nclosed after %.0f ms\nsent %zu\n", answer,
	    now_ms() - t0, sent);
	return 0;
}

static int
query(const char *path, const char *line, double delay_ms)
{
	char answer[4096];
	size_t got = 0;
	ssize_t r;
	double t0;
	int fd = connect_to(path);

	printf("connected\n");
	fflush(stdout);
	(void)poll(NULL, 0, (int)delay_ms);
	t0 = now_ms();
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) == -1 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) == -1)
		return 111;
	while (got < sizeof(answer) - 1 &&
	    (r = read(fd, answer + got, sizeof(answer) - 1 - got)) > 0)
		got += (size_t)r;
	answer[got] = '\0';
	answer[strcspn(answer, "\n")] = '\0';
	printf("answer %s\nanswered after %.0f ms\n", answer, now_ms() - t0);
	return 0;
}

static int
idle_clients(const char *path, int n, double limit_ms)
{
	struct pollfd *pfd = calloc((size_t)n, sizeof(*pfd));
	double t0, last = 0, t;
	int i, open = n, reported = 0;
	char buf[256];

	if (pfd == NULL)
		return 111;
	for (i = 0; i < n; i++) {
		pfd[i].fd = connect_to(path);
		pfd[i].events = POLLIN;
	}
	printf("connected %d\n", n);
	fflush(stdout);
	t0 = now_ms();
	while (open > 0 && (t = now_ms() - t0) < limit_ms) {
		if (!reported && t >= 1000) {
			printf("open after 1000 ms: %d\n", open);
			fflush(stdout);
			reported = 1;
		}
		if (poll(pfd, (nfds_t)n, 50) == -1 && errno != EINTR)
			return 111;
		for (i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			if (read(pfd[i].fd, buf, sizeof(buf)) > 0)
				continue;
			close(pfd[i].fd);
			pfd[i].fd = -1;
			open--;
			last = now_ms() - t0;
		}
	}
	if (!reported)
		printf("open after 1000 ms: %d\n", open);
	printf("last closed after %.0f ms\nopen at end: %d\n", last, open);
	return 0;
}

int
main(int argc, char **argv)
{
	long bytes = -1, n = -1;
	double seconds = 10, delay_ms = 0;
	const char *line = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "b:d:n:q:t:")) != -1) {
		switch (ch) {
		case 'b':
			bytes = atol(optarg);
			break;
		case 'd':
			delay_ms = atof(optarg);
			break;
		case 'q':
			line = optarg;
			break;
		case 'n':
			n = atol(optarg);
			break;
		case 't':
			seconds = atof(optarg);
			break;
		default:
			return 100;
		}
	}
	if (optind + 1 != argc ||
	    (bytes >= 0) + (n >= 0) + (line != NULL) != 1) {
		fprintf(stderr, "usage: ctlpeer (-b BYTES | -n N [-t SECONDS] | "
		    "-q LINE [-d MS]) PATH\n");
		return 100;
	}
	if (line != NULL)
		return query(argv[optind], line, delay_ms);
	if (bytes >= 0)
		return big_line(argv[optind], (size_t)bytes);
	return idle_clients(argv[optind], (int)n, seconds * 1e3);
}
