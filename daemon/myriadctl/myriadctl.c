/*
 * myriadctl.c - the control client: sends one command over myriadd's
 * control socket and prints the answer as a table or as JSON.
 *
 * The protocol (myriadctl(8), PROTOCOL): one request line; the answer is
 * records, one per line, of TAB-separated key=value fields, then "end";
 * or one line "error<TAB>MESSAGE".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/time.h>
#include <unistd.h>

#define DEFAULT_SOCKET	"/run/myriad/control.sock"
#define TIMEOUT_MS	10000
#define LINE_MAX_BYTES	4096
#define FIELDS_MAX	32

#define EXIT_USAGE	100
#define EXIT_TEMP	111

struct record {
	char	*key[FIELDS_MAX];
	char	*val[FIELDS_MAX];
	int	 n;
};

static const char *progname = "myriadctl";

static void __attribute__((noreturn))
die(int code, const char *what, const char *why)
{
	fprintf(stderr, "%s: fatal: %s%s%s\n", progname, what,
	    why ? ": " : "", why ? why : "");
	exit(code);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: myriadctl [-s SOCKET] status|workers [SERVICE]"
	    "|reload|stop [--json]\n");
	exit(EXIT_USAGE);
}

static int
connect_control(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		die(EXIT_USAGE, path, "socket path too long");
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die(EXIT_TEMP, "socket", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		char what[256];

		snprintf(what, sizeof(what), "unable to connect to %s", path);
		die(EXIT_TEMP, what, strerror(errno));
	}
	return fd;
}

/* Split a line into its key=value fields, in place. */
static int
parse_record(char *line, struct record *r)
{
	char *field, *eq, *save = NULL;

	r->n = 0;
	for (field = strtok_r(line, "\t", &save); field != NULL;
	    field = strtok_r(NULL, "\t", &save)) {
		if ((eq = strchr(field, '=')) == NULL || r->n == FIELDS_MAX)
			return -1;
		*eq = '\0';
		r->key[r->n] = field;
		r->val[r->n++] = eq + 1;
	}
	return 0;
}

static int
is_number(const char *s)
{
	char *end;

	if (*s == '\0')
		return 0;
	(void)strtod(s, &end);
	return *end == '\0' && s[strspn(s, "-0123456789.")] == '\0';
}

static void
json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void
json_record(FILE *out, const struct record *r)
{
	int i, first = 1;

	fputc('{', out);
	for (i = 0; i < r->n; i++) {
		if (strcmp(r->key[i], "type") == 0)
			continue;
		if (!first)
			fputc(',', out);
		first = 0;
		json_string(out, r->key[i]);
		fputc(':', out);
		if (is_number(r->val[i]))
			fputs(r->val[i], out);
		else
			json_string(out, r->val[i]);
	}
	fputc('}', out);
}

static const char *
record_type(const struct record *r)
{
	return r->n > 0 && strcmp(r->key[0], "type") == 0 ? r->val[0] :
	    "record";
}

/*
 * {"services": [...], "total": {...}}: each type's records become an
 * array named by the type plus "s", except "total", a single object.
 */
static void
print_json(FILE *out, struct record *recs, int n)
{
	const char *types[8];
	int ntypes = 0, t, i, first_type = 1, first;

	for (i = 0; i < n; i++) {
		for (t = 0; t < ntypes; t++)
			if (strcmp(types[t], record_type(&recs[i])) == 0)
				break;
		if (t == ntypes && ntypes < 8)
			types[ntypes++] = record_type(&recs[i]);
	}
	fputc('{', out);
	for (t = 0; t < ntypes; t++) {
		int single = strcmp(types[t], "total") == 0 ||
		    strcmp(types[t], "result") == 0;

		fprintf(out, "%s\"%s%s\":%s", first_type ? "" : ",", types[t],
		    single ? "" : "s", single ? "" : "[");
		first_type = 0;
		first = 1;
		for (i = 0; i < n; i++) {
			if (strcmp(types[t], record_type(&recs[i])) != 0)
				continue;
			if (!first)
				fputc(',', out);
			first = 0;
			json_record(out, &recs[i]);
			if (single)
				break;
		}
		if (!single)
			fputc(']', out);
	}
	fputs("}\n", out);
}

static void
print_cell(FILE *out, const char *s, int width, int last)
{
	if (last)
		fprintf(out, "%s\n", s);
	else
		fprintf(out, "%-*s  ", width, s);
}

/* One aligned table per record type, columns from its first record. */
static void
print_tables(FILE *out, struct record *recs, int n)
{
	int i, j, k, width[FIELDS_MAX], done = 0, seen_type;
	char type[64];

	while (done < n) {
		for (i = 0; i < n && recs[i].n < 0; i++)
			;
		snprintf(type, sizeof(type), "%s", record_type(&recs[i]));
		for (k = 0; k < recs[i].n; k++)
			width[k] = (int)strlen(recs[i].key[k]);
		for (j = i; j < n; j++) {
			if (recs[j].n < 0 ||
			    strcmp(type, record_type(&recs[j])))
				continue;
			for (k = 0; k < recs[i].n && k < recs[j].n; k++)
				if ((int)strlen(recs[j].val[k]) > width[k])
					width[k] = (int)strlen(recs[j].val[k]);
		}
		if (done > 0)
			fputc('\n', out);
		for (k = 1; k < recs[i].n; k++)
			print_cell(out, recs[i].key[k], width[k],
			    k + 1 == recs[i].n);
		seen_type = recs[i].n;
		for (j = i; j < n; j++) {
			if (recs[j].n < 0 ||
			    strcmp(type, record_type(&recs[j])))
				continue;
			for (k = 1; k < seen_type && k < recs[j].n; k++)
				print_cell(out, recs[j].val[k], width[k],
				    k + 1 == seen_type || k + 1 == recs[j].n);
			recs[j].n = -1;
			done++;
		}
	}
}

/* Read the whole answer; returns the records, or dies on an error line. */
static struct record *
read_answer(int fd, int *nrecs)
{
	static char line[LINE_MAX_BYTES];
	FILE *in = fdopen(fd, "r");
	struct record *recs = NULL;
	int n = 0, cap = 0;
	size_t len;
	char *copy;

	if (in == NULL)
		die(EXIT_TEMP, "fdopen", strerror(errno));
	while (fgets(line, sizeof(line), in) != NULL) {
		len = strlen(line);
		if (len == 0 || line[len - 1] != '\n')
			die(EXIT_TEMP, "malformed answer from myriadd",
			    "line too long or cut");
		line[len - 1] = '\0';
		if (strcmp(line, "end") == 0) {
			*nrecs = n;
			return recs;
		}
		if (strncmp(line, "error\t", 6) == 0)
			die(EXIT_USAGE, "myriadd says", line + 6);
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			recs = realloc(recs, (size_t)cap * sizeof(*recs));
			if (recs == NULL)
				die(EXIT_TEMP, "realloc", strerror(errno));
		}
		if ((copy = strdup(line)) == NULL)
			die(EXIT_TEMP, "strdup", strerror(errno));
		if (parse_record(copy, &recs[n]) == -1)
			die(EXIT_TEMP, "malformed answer from myriadd", line);
		n++;
	}
	die(EXIT_TEMP,
	    "myriadd closed the connection before the end of its answer",
	    ferror(in) ? strerror(errno) : NULL);
}

static void
send_request(int fd, const char *request)
{
	struct timeval tv = { TIMEOUT_MS / 1000, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* A daemon that refuses the peer answers and closes before reading:
	 * then the request cannot be written, but the answer can be read. */
	if (send(fd, request, strlen(request), MSG_NOSIGNAL) !=
	    (ssize_t)strlen(request) && errno != EPIPE && errno != ECONNRESET)
		die(EXIT_TEMP, "unable to send the command", strerror(errno));
}

int
main(int argc, char **argv)
{
	const char *path = getenv("MYRIAD_CONTROL");
	char request[512];
	struct record *recs;
	int i, json = 0, nrecs, fd, nwords = 0;
	const char *words[2];

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (argv[i][0] == '-' || nwords == 2)
			usage();
		else
			words[nwords++] = argv[i];
	}
	if (nwords == 0 || (nwords == 2 && strcmp(words[0], "workers") != 0))
		usage();
	if (strcmp(words[0], "status") && strcmp(words[0], "workers") &&
	    strcmp(words[0], "reload") && strcmp(words[0], "stop"))
		usage();
	if (path == NULL)
		path = DEFAULT_SOCKET;
	snprintf(request, sizeof(request), "%s%s%s\n", words[0],
	    nwords == 2 ? " " : "", nwords == 2 ? words[1] : "");
	fd = connect_control(path);
	send_request(fd, request);
	recs = read_answer(fd, &nrecs);
	if (json)
		print_json(stdout, recs, nrecs);
	else if (nrecs > 0)
		print_tables(stdout, recs, nrecs);
	return fflush(stdout) == 0 ? 0 : EXIT_TEMP;
}
