/*
 * conf_value.c - the value parsers of myriad.conf(5). Each returns NULL,
 * or a constant message saying what is wrong with the value.
 */
#include <arpa/inet.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <math.h>
#include <netdb.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

/* Set by myriadd for each spawn-mode connection: not settable by env. */
static const char *const ucspi_names[] = {
	"PROTO", "TCPLOCALIP", "TCPLOCALPORT", "TCPREMOTEIP", "TCPREMOTEPORT",
	"TCPCONNNUM", "UNIXREMOTEUID", "UNIXREMOTEGID", "UNIXREMOTEPID", NULL
};

const char *
conf_value_number(double *out, const char *s, double min, double max)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (end == s || *end != '\0' || errno || !isfinite(d))
		return "not a number";
	if (d < min || d > max)
		return "out of range";
	*out = d;
	return NULL;
}

/* "64k", "2M", "1G" (powers of 1024) or bytes; at least one page. */
const char *
conf_value_size(long long *out, const char *s)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (end == s || errno || !isfinite(d) || d < 0)
		return "not a size (bytes, or a number with K, M or G)";
	switch (*end) {
	case 'k': case 'K': d *= 1024; end++; break;
	case 'm': case 'M': d *= 1024 * 1024; end++; break;
	case 'g': case 'G': d *= 1024.0 * 1024 * 1024; end++; break;
	}
	if (*end != '\0')
		return "not a size (bytes, or a number with K, M or G)";
	if (d < 4096 || d > 1024.0 * 1024 * 1024 * 1024)
		return "out of range (4K to 1024G)";
	*out = (long long)d;
	return NULL;
}

static const char *
port_parse(const char *s, in_port_t *port)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)s[0]))
		return "port must be a number";
	errno = 0;
	n = strtol(s, &end, 10);
	if (*end != '\0' || errno || n < 1 || n > 65535)
		return "port must be 1 to 65535";
	*port = htons((in_port_t)n);
	return NULL;
}

static const char *
listen_unix(struct addr *a, const char *s)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&a->ss;
	size_t n = strlen(s);

	if (n >= sizeof(un->sun_path))
		return "UNIX socket path too long";
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, s, n + 1);
	a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return NULL;
}

static const char *
listen_v6(struct addr *a, char *host, const char *port)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;

	in6->sin6_family = AF_INET6;
	a->len = sizeof(*in6);
	if (strcmp(host, "*") == 0) {
		a->dual = 1;
		in6->sin6_addr = in6addr_any;
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
		return "invalid IPv6 address";
	return port_parse(port, &in6->sin6_port);
}

static const char *
listen_v4(struct addr *a, const char *host, const char *port)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&a->ss;
	struct addrinfo hints, *res;

	in4->sin_family = AF_INET;
	a->len = sizeof(*in4);
	if (inet_pton(AF_INET, host, &in4->sin_addr) != 1) {
		/* Digits and dots are an address, never a name to look up. */
		if (host[strspn(host, "0123456789.")] == '\0')
			return "invalid IPv4 address";
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_INET;
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(host, NULL, &hints, &res) != 0)
			return "unknown host";
		in4->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
		freeaddrinfo(res);
	}
	return port_parse(port, &in4->sin_port);
}

/* HOST:PORT, [V6]:PORT, *:PORT or /path/to/socket. */
const char *
conf_value_listen(struct addr *a, const char *s)
{
	char host[ADDR_TEXT_MAX], *colon, *close;

	memset(a, 0, sizeof(*a));
	if (strlen(s) >= sizeof(a->text))
		return "too long";
	(void)snprintf(a->text, sizeof(a->text), "%s", s);
	if (s[0] == '/')
		return listen_unix(a, s);
	(void)snprintf(host, sizeof(host), "%s", s);
	if (host[0] == '[') {
		if ((close = strchr(host, ']')) == NULL || close[1] != ':')
			return "expected [IPV6]:PORT";
		*close = '\0';
		return listen_v6(a, host + 1, close + 2);
	}
	if ((colon = strrchr(host, ':')) == NULL)
		return "expected HOST:PORT, [IPV6]:PORT, *:PORT or an "
		    "absolute UNIX socket path";
	*colon = '\0';
	if (strchr(host, ':'))
		return "IPv6 addresses go in brackets: [IPV6]:PORT";
	if (strcmp(host, "*") == 0)
		return listen_v6(a, host, colon + 1);
	if (host[0] == '\0')
		return "no host before ':'";
	return listen_v4(a, host, colon + 1);
}

static const char *
program_check(struct svc_conf *sc, const char *dir)
{
	struct stat sb;
	int n;

	if (sc->argv[0][0] == '/')
		n = snprintf(sc->path, sizeof(sc->path), "%s", sc->argv[0]);
	else
		n = snprintf(sc->path, sizeof(sc->path), "%s/%s", dir,
		    sc->argv[0]);
	if (n < 0 || (size_t)n >= sizeof(sc->path))
		return "path too long";
	if (stat(sc->path, &sb) == -1)
		return strerror(errno);
	if (!S_ISREG(sb.st_mode))
		return "not a regular file";
	if (access(sc->path, X_OK) == -1)
		return strerror(errno);
	return NULL;
}

/* Program and arguments split on blanks, no shell. */
const char *
conf_value_exec(struct svc_conf *sc, const char *dir, const char *s)
{
	char *p;
	int n = 0;

	if (strlen(s) >= sizeof(sc->args))
		return "too long";
	(void)snprintf(sc->args, sizeof(sc->args), "%s", s);
	for (p = strtok(sc->args, " \t"); p; p = strtok(NULL, " \t")) {
		if (n == ARGS_MAX)
			return "too many arguments";
		sc->argv[n++] = p;
	}
	sc->argv[n] = NULL;
	return program_check(sc, dir);
}

/* s as a whole number, a uid or gid; -1 if it is a name. */
static long
numeric_id(const char *s)
{
	char *end;
	long id;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	id = strtol(s, &end, 10);
	return *end == '\0' ? id : -1;
}

static struct passwd *
user_find(const char *s)
{
	struct passwd *pw;
	long id;

	if ((pw = getpwnam(s)) == NULL && (id = numeric_id(s)) >= 0)
		pw = getpwuid((uid_t)id);
	return pw;
}

static struct group *
group_find(const char *s)
{
	struct group *gr;
	long id;

	if ((gr = getgrnam(s)) == NULL && (id = numeric_id(s)) >= 0)
		gr = getgrgid((gid_t)id);
	return gr;
}

const char *
conf_value_user(struct svc_conf *sc, const char *s)
{
	struct passwd *pw;

	if ((pw = user_find(s)) == NULL)
		return "no such user";
	sc->uid = pw->pw_uid;
	sc->set_uid = 1;
	(void)snprintf(sc->user, sizeof(sc->user), "%s", pw->pw_name);
	sc->user_gid = pw->pw_gid;
	sc->ngroups = GROUPS_MAX;
	if (getgrouplist(pw->pw_name, pw->pw_gid, sc->groups,
	    &sc->ngroups) == -1)
		return "member of too many groups";
	return NULL;
}

const char *
conf_value_group(struct svc_conf *sc, const char *s)
{
	struct group *gr;

	if ((gr = group_find(s)) == NULL)
		return "no such group";
	sc->gid = gr->gr_gid;
	sc->set_gid = 1;
	return NULL;
}

/* A file's owner: a user's uid, without its groups. */
const char *
conf_value_owner(uid_t *out, const char *s)
{
	struct passwd *pw;

	if ((pw = user_find(s)) == NULL)
		return "no such user";
	*out = pw->pw_uid;
	return NULL;
}

const char *
conf_value_owner_group(gid_t *out, const char *s)
{
	struct group *gr;

	if ((gr = group_find(s)) == NULL)
		return "no such group";
	*out = gr->gr_gid;
	return NULL;
}

/* KEY=VALUE, a name the worker's UCSPI environment does not use. */
const char *
conf_value_env(struct svc_conf *sc, const char *s)
{
	size_t klen, n = strlen(s) + 1;
	int i;

	klen = strcspn(s, "=");
	if (s[klen] != '=')
		return "expected KEY=VALUE";
	if (klen == 0 || isdigit((unsigned char)s[0]))
		return "invalid variable name";
	for (i = 0; i < (int)klen; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return "invalid variable name";
	for (i = 0; ucspi_names[i]; i++)
		if (strlen(ucspi_names[i]) == klen &&
		    strncmp(s, ucspi_names[i], klen) == 0)
			return "variable set by myriadd for each connection";
	for (i = 0; i < sc->nenv; i++)
		if (strncmp(sc->envp[i], s, klen + 1) == 0)
			return "variable set twice";
	if (sc->nenv == ENV_MAX || sc->envlen + n > sizeof(sc->envbuf))
		return "too many env lines";
	memcpy(sc->envbuf + sc->envlen, s, n);
	sc->envp[sc->nenv++] = sc->envbuf + sc->envlen;
	sc->envp[sc->nenv] = NULL;
	sc->envlen += n;
	return NULL;
}

/* The workers' working directory: absolute, or relative to dir. */
const char *
conf_value_chdir(struct svc_conf *sc, const char *dir, const char *s)
{
	struct stat sb;
	int n;

	if (s[0] == '/')
		n = snprintf(sc->workdir, sizeof(sc->workdir), "%s", s);
	else
		n = snprintf(sc->workdir, sizeof(sc->workdir), "%s/%s", dir,
		    s);
	if (n < 0 || (size_t)n >= sizeof(sc->workdir))
		return "path too long";
	if (stat(sc->workdir, &sb) == -1)
		return strerror(errno);
	if (!S_ISDIR(sb.st_mode))
		return "not a directory";
	return NULL;
}

/* An octal mode or mask, as chmod(1) and umask(1) take it: 0 to 0777. */
const char *
conf_value_mode(mode_t *out, const char *s)
{
	size_t n = strspn(s, "01234567");
	long m;

	if (n == 0 || n > 4 || s[n] != '\0' ||
	    (m = strtol(s, NULL, 8)) > 0777)
		return "expected an octal mode, 0 to 0777";
	*out = (mode_t)m;
	return NULL;
}
