/*
 * hello.c - a tiny HTTP/1.0 responder for load tools: GET or HEAD of any
 * path gives 200 and a short body; another well-formed method 501; a
 * malformed request line or a head over HEAD_MAX bytes 400. The first
 * bytes must arrive within the idle timeout, and the rest of the head
 * within one more. One response, then a half-close and a short drain
 * (answer()), so that bytes the client sends after its head do not turn
 * the close into a reset.
 */
#include <string.h>
#include <sys/socket.h>

#include "rt.h"

#define HEAD_MAX	1024
#define LINGER_MS	1000		/* answer(): how long to drain input */
#define LINGER_MAX	(1024 * 1024)	/* answer(): how much to drain */

#define HEADERS(status, len) "HTTP/1.0 " status "\r\n" \
	"Server: myriad-hello\r\n" \
	"Content-Type: text/plain\r\n" \
	"Content-Length: " len "\r\n" \
	"Connection: close\r\n\r\n"
#define BODY_OK "hello, world\n"

static const char ok[] = HEADERS("200 OK", "13") BODY_OK;
static const char bad[] = HEADERS("400 Bad Request", "12") "bad request\n";
static const char unimpl[] = HEADERS("501 Not Implemented", "16")
	"not implemented\n";

static char head[HEAD_MAX];

/* Offset just past the blank line that ends the head, or 0. */
static size_t
head_length(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < len && p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static int
is_token_char(char c)
{
	return c >= 'A' && c <= 'Z';
}

/* METHOD SP TARGET SP HTTP/D.D CRLF; returns the method length or 0. */
static size_t
parse_request_line(const char *p)
{
	size_t m = 0, i;

	while (is_token_char(p[m]))
		m++;
	if (m == 0 || p[m] != ' ')
		return 0;
	i = m + 1;
	if (p[i] <= ' ' || p[i] == 0x7f)
		return 0;
	while (p[i] > ' ' && p[i] != 0x7f)
		i++;
	if (p[i] != ' ' || strncmp(p + i + 1, "HTTP/", 5) != 0)
		return 0;
	i += 6;
	if (p[i] < '0' || p[i] > '9' || p[i + 1] != '.' ||
	    p[i + 2] < '0' || p[i + 2] > '9')
		return 0;
	i += 3;
	if (p[i] == '\r')
		i++;
	return p[i] == '\n' ? m : 0;
}

/*
 * Answer, then shut our side and read what the client still sends until it
 * closes, for up to LINGER_MS and LINGER_MAX bytes: a socket closed with
 * unread input sends a reset instead of a FIN, and a client that is still
 * writing its body (or a pipelined request), or whose system drops received
 * data on a reset, loses the response. The FIN tells a client reading as it
 * writes that the response is whole, so it stops sending and closes; the
 * bounds keep a client that does neither from holding the worker.
 */
static int
answer(int in, int out, const char *response, size_t len, int code)
{
	long deadline;
	size_t drained = 0;
	ssize_t n;

	if (rt_write_all(out, response, len) == -1)
		return RT_EXIT_TEMP;
	if (shutdown(out, SHUT_WR) == -1)
		return code;	/* a pipe, or a client already gone */
	deadline = rt_now_ms() + LINGER_MS;
	while (drained < LINGER_MAX &&
	    (n = rt_read_by(in, head, HEAD_MAX, deadline)) > 0)
		drained += (size_t)n;
	return code;
}

static int
hello(int in, int out)
{
	long deadline = -1;
	size_t len = 0, method;
	ssize_t n;

	/* The clock is read only if the head takes more than one read. */
	while (head_length(head, len) == 0) {
		if (len == HEAD_MAX)
			return answer(in, out, bad, sizeof(bad) - 1,
			    RT_EXIT_BADINPUT);
		if (len > 0 && deadline < 0 && rt_timeout_ms() >= 0)
			deadline = rt_now_ms() + rt_timeout_ms();
		n = len == 0 ? rt_read(in, head, HEAD_MAX) :
		    rt_read_by(in, head + len, HEAD_MAX - len, deadline);
		if (n <= 0)
			return n == 0 ? RT_EXIT_BADINPUT : RT_EXIT_TEMP;
		len += (size_t)n;
	}
	method = parse_request_line(head);
	if (method == 0)
		return answer(in, out, bad, sizeof(bad) - 1, RT_EXIT_BADINPUT);
	if (method == 3 && memcmp(head, "GET", 3) == 0)
		return answer(in, out, ok, sizeof(ok) - 1, RT_EXIT_OK);
	if (method == 4 && memcmp(head, "HEAD", 4) == 0)
		return answer(in, out, ok, sizeof(ok) - 1 - strlen(BODY_OK),
		    RT_EXIT_OK);
	return answer(in, out, unimpl, sizeof(unimpl) - 1, RT_EXIT_BADINPUT);
}

int
rt_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return rt_serve(hello);
}
