/*
 * connect.c - test client: N sequential connections to one address, each
 * sending a string, half-closing, reading up to a byte limit or EOF.
 * Prints "ok N failed M bytes B"; exits 0 only if every connection got at
 * least the expected number of bytes (-e, default 1; 0 for discard).
 *
 * -k keeps the connection open for writing (no half-close); -w SECONDS
 * waits that long after sending before reading (a client that stalls).
 *
 * usage: connect -n N [-s SEND] [-r MAXREAD] [-e MINREAD] [-k] [-w SECONDS]
 *        HOST:PORT|PATH
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static int keep_open;		/* -k: no half-close after sending */
static unsigned stall_s;	/* -w: seconds to wait before reading */

static socklen_t
parse_address(const char *where, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_un *un = (struct sockaddr_un *)ss;
	char host[64];
	const char *colon;

	memset(ss, 0, sizeof(*ss));
	if (where[0] == '/') {
		un->sun_family = AF_UNIX;
		snprintf(un->sun_path, sizeof(un->sun_path), "%s", where);
		return sizeof(*un);
	}
	if ((colon = strrchr(where, ':')) == NULL ||
	    (size_t)(colon - where) >= sizeof(host))
		return 0;
	memcpy(host, where, (size_t)(colon - where));
	host[colon - where] = '\0';
	in4->sin_family = AF_INET;
	in4->sin_port = htons((unsigned short)atoi(colon + 1));
	return inet_pton(AF_INET, host, &in4->sin_addr) == 1 ? sizeof(*in4) : 0;
}

/* One connection; returns the bytes read, or -1. */
static long
one(const struct sockaddr_storage *ss, socklen_t len, const char *send_text,
    long max_read)
{
	struct timeval tv = { 5, 0 };
	char buf[4096];
	long got = 0;
	ssize_t n;
	int fd;

	if ((fd = socket(ss->ss_family, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)ss, len) == -1 ||
	    (send_text[0] && write(fd, send_text, strlen(send_text)) == -1)) {
		close(fd);
		return -1;
	}
	if (!keep_open)
		shutdown(fd, SHUT_WR);
	if (stall_s)
		sleep(stall_s);
	while (got < max_read && (n = read(fd, buf, sizeof(buf))) > 0)
		got += n;
	close(fd);
	return got;
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	const char *send_text = "";
	long n = 1, max_read = 1L << 20, min_read = 1, got, bytes = 0, ok = 0;
	socklen_t len;
	int c;

	while ((c = getopt(argc, argv, "n:s:r:e:kw:")) != -1) {
		switch (c) {
		case 'n': n = atol(optarg); break;
		case 's': send_text = optarg; break;
		case 'r': max_read = atol(optarg); break;
		case 'e': min_read = atol(optarg); break;
		case 'k': keep_open = 1; break;
		case 'w': stall_s = (unsigned)atoi(optarg); break;
		default: return 100;
		}
	}
	if (optind != argc - 1 || (len = parse_address(argv[optind], &ss)) == 0) {
		fprintf(stderr, "usage: connect -n N [-s SEND] [-r MAXREAD] "
		    "[-e MINREAD] [-k] [-w SECONDS] HOST:PORT|PATH\n");
		return 100;
	}
	for (long i = 0; i < n; i++) {
		got = one(&ss, len, send_text, max_read);
		if (got >= min_read) {
			ok++;
			bytes += got;
		}
	}
	printf("ok %ld failed %ld bytes %ld\n", ok, n - ok, bytes);
	return ok == n ? 0 : 1;
}
