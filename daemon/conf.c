/*
 * conf.c - read myriad.conf(5) into a new struct conf with libinih. The
 * line reader counts lines, strips indentation and sees section headers,
 * so that every error is reported as FILE:LINE: MESSAGE.
 */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ini.h>

#include "log.h"
#include "conf.h"

enum key {
	KEY_LISTEN, KEY_MODE, KEY_EXEC, KEY_WORKERS, KEY_USER, KEY_GROUP,
	KEY_ENV, KEY_TIMEOUT, KEY_MEMORY, KEY_NOFILE, KEY_STDERR,
	KEY_CHDIR, KEY_UMASK, KEY_SOCKET_MODE, KEY_SOCKET_OWNER,
	KEY_SOCKET_GROUP,
	KEY_COUNT
};

static const char *const key_names[KEY_COUNT] = {
	"listen", "mode", "exec", "workers", "user", "group", "env", "timeout",
	"memory", "rlimit_nofile", "stderr",
	"chdir", "umask", "socket_mode", "socket_owner", "socket_group"
};

#define DEFAULT_WORKERS	40
#define DEFAULT_NOFILE	1024
#define DEFAULT_UMASK	022
#define DEFAULT_SOCKET_MODE 0600
#define DEFAULT_GRACE	5.0
#define GRACE_MAX	3600.0
#define TIMEOUT_MAX	31536000.0
#define ERR_MAX		512

struct parse {
	struct conf	*conf;
	FILE		*f;
	int		line;		/* of the line being parsed */
	unsigned	global_seen;	/* global keys set */
	struct svc_conf	*cur;		/* section being parsed */
	int		errline;	/* first error, 0 if none */
	char		err[ERR_MAX];
};

static void PRINTF(2, 3)
parse_error(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->errline)
		return;
	p->errline = p->line > 0 ? p->line : 1;
	va_start(ap, fmt);
	(void)vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
}

static int
name_valid(const char *s)
{
	size_t n;

	for (n = 0; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && !strchr("_.-", s[n]))
			return 0;
	return n > 0 && n < NAME_MAX_LEN;
}

/*
 * With both keys, in either order, the group takes the place of the
 * user's primary group among its groups too; a group alone is the only
 * group.
 */
static void
credentials_finish(struct svc_conf *sc)
{
	int i, n = 0;

	if (!sc->set_uid) {
		if (sc->set_gid) {
			sc->groups[0] = sc->gid;
			sc->ngroups = 1;
		}
		return;
	}
	if (!sc->set_gid)
		sc->gid = sc->user_gid;
	sc->set_gid = 1;
	/* getgrouplist put user_gid in: n + 1 fits. */
	for (i = 0; i < sc->ngroups; i++)
		if (sc->groups[i] != sc->user_gid && sc->groups[i] != sc->gid)
			sc->groups[n++] = sc->groups[i];
	memmove(sc->groups + 1, sc->groups, sizeof(gid_t) * (size_t)n);
	sc->groups[0] = sc->gid;
	sc->ngroups = n + 1;
}

/* The checks a section needs once all its keys are known. */
static void
section_finish(struct parse *p, struct svc_conf *sc)
{
	struct conf *c = p->conf;
	char why[ERR_MAX];
	int i;

	if (!(sc->seen & 1U << KEY_LISTEN)) {
		p->line = sc->line;
		parse_error(p, "service '%s' has no 'listen'", sc->name);
	} else if (!(sc->seen & 1U << KEY_EXEC)) {
		p->line = sc->line;
		parse_error(p, "service '%s' has no 'exec'", sc->name);
	} else if (sc->timeout > 0 && sc->mode == MODE_POOL) {
		p->line = sc->line;
		parse_error(p, "service '%s': 'timeout' applies to spawn mode "
		    "only", sc->name);
	}
	for (i = 0; i < c->nsvc && c->svc[i] != sc; i++)
		if (conf_addr_equal(&c->svc[i]->listen, &sc->listen)) {
			p->line = sc->line;
			parse_error(p, "service '%s' listens on %s, as service "
			    "'%s' does", sc->name, sc->listen.text,
			    c->svc[i]->name);
		}
	if (sc->sock_line && sc->listen.ss.ss_family != AF_UNIX) {
		p->line = sc->sock_line;
		parse_error(p, "service '%s': '%s' applies to UNIX socket "
		    "listeners only", sc->name, sc->sock_key);
	}
	sc->listen.mode = sc->sock_mode;
	sc->listen.uid = sc->sock_uid;
	sc->listen.gid = sc->sock_gid;
	credentials_finish(sc);
	/* Run as the worker will: a directory only root enters stops it. */
	if (!p->errline && (sc->set_uid || sc->set_gid) &&
	    conf_access_check(sc, sc->path, "execute", why, sizeof(why))
	    != NULL) {
		p->line = sc->exec_line;
		parse_error(p, "%s", why);
	}
	if (!p->errline && (sc->set_uid || sc->set_gid) &&
	    conf_access_check(sc, sc->workdir, "enter", why, sizeof(why))
	    != NULL) {
		p->line = sc->chdir_line ? sc->chdir_line : sc->line;
		parse_error(p, "%s", why);
	}
}

static void
section_open(struct parse *p, const char *name)
{
	struct conf *c = p->conf;
	struct svc_conf *sc, **grown;
	int i;

	if (p->cur)
		section_finish(p, p->cur);
	p->cur = NULL;
	if (!name_valid(name)) {
		parse_error(p, "invalid service name '%s' (letters, digits, "
		    "'_', '.', '-'; at most %d)", name, NAME_MAX_LEN - 1);
		return;
	}
	for (i = 0; i < c->nsvc; i++)
		if (strcmp(c->svc[i]->name, name) == 0) {
			parse_error(p,
			    "service '%s' already defined at line %d",
			    name, c->svc[i]->line);
			return;
		}
	if (c->nsvc == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		if ((grown = reallocarray(c->svc, (size_t)c->cap,
		    sizeof(*grown))) == NULL)
			fatal("%s: no memory for service '%s'", c->path, name);
		c->svc = grown;
	}
	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		fatal("%s: no memory for service '%s'", c->path, name);
	(void)snprintf(sc->name, sizeof(sc->name), "%s", name);
	sc->line = p->line;
	sc->mode = MODE_SPAWN;
	sc->workers = DEFAULT_WORKERS;
	sc->nofile = DEFAULT_NOFILE;
	memcpy(sc->workdir, "/", 2);
	sc->cmask = DEFAULT_UMASK;
	sc->sock_mode = DEFAULT_SOCKET_MODE;
	sc->sock_uid = (uid_t)-1;
	sc->sock_gid = (gid_t)-1;
	c->svc[c->nsvc++] = sc;
	p->cur = sc;
}

/* A section header: "[name]", possibly followed by a comment. */
static void
header_read(struct parse *p, char *s)
{
	char *end;

	if ((end = strchr(s, ']')) == NULL) {
		parse_error(p, "missing ']' in section header");
		return;
	}
	*end = '\0';
	section_open(p, s + 1);
	*end = ']';
	for (end++; isspace((unsigned char)*end); end++)
		;
	if (*end && *end != '#' && *end != ';')
		parse_error(p, "unexpected text after ']'");
}

/* libinih's reader: fgets that counts, strips indentation, sees headers. */
static char *
conf_read(char *str, int num, void *stream)
{
	struct parse *p = stream;
	size_t len, skip;
	char *sep;
	int c;

	if (p->errline || fgets(str, num, p->f) == NULL)
		return NULL;
	p->line++;
	len = strlen(str);
	if (len > 0 && str[len - 1] != '\n' && !feof(p->f)) {
		parse_error(p, "line longer than %d bytes", num - 2);
		while ((c = getc(p->f)) != EOF && c != '\n')
			;
	}
	skip = p->line == 1 && strncmp(str, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	/* Indented lines are ordinary lines, never continuations. */
	skip += strspn(str + skip, " \t");
	memmove(str, str + skip, len - skip + 1);
	if (str[0] == '[')
		header_read(p, str);
	else if (str[0] && !strchr("#;\r\n", str[0]) &&
	    ((sep = strpbrk(str, "=:")) == NULL || *sep != '='))
		parse_error(p, "expected 'key = value' or '[service]'");
	return str;
}

/* "value  # comment": libinih strips ';' comments, this strips '#' ones. */
static void
comment_strip(char *v)
{
	char *s;

	for (s = v; *s; s++)
		if (*s == '#' && s > v && (s[-1] == ' ' || s[-1] == '\t')) {
			*s = '\0';
			break;
		}
	for (s = v + strlen(v); s > v && isspace((unsigned char)s[-1]); s--)
		s[-1] = '\0';
}

static const char *
policy_set(struct conf *c, const char *value)
{
	if (strcmp(value, "refuse") == 0)
		c->policy = POLICY_REFUSE;
	else if (strcmp(value, "cap") == 0)
		c->policy = POLICY_CAP;
	else
		return "expected refuse or cap";
	return NULL;
}

static void
global_set(struct parse *p, const char *name, const char *value)
{
	struct conf *c = p->conf;
	const char *err = NULL;
	unsigned bit;

	if (strcmp(name, "control") == 0)
		bit = 1;
	else if (strcmp(name, "grace") == 0)
		bit = 2;
	else if (strcmp(name, "policy") == 0)
		bit = 4;
	else {
		parse_error(p, "unknown global key '%s'", name);
		return;
	}
	if (p->global_seen & bit) {
		parse_error(p, "'%s' set twice", name);
		return;
	}
	p->global_seen |= bit;
	if (bit == 2)
		err = conf_value_number(&c->grace, value, 0, GRACE_MAX);
	else if (bit == 4)
		err = policy_set(c, value);
	else if (strlen(value) >= sizeof(c->control))
		err = "path too long";
	else
		(void)snprintf(c->control, sizeof(c->control), "%s", value);
	if (err)
		parse_error(p, "%s '%s': %s", name, value, err);
}

static const char *
mode_set(struct svc_conf *sc, const char *value)
{
	if (strcmp(value, "spawn") == 0)
		sc->mode = MODE_SPAWN;
	else if (strcmp(value, "pool") == 0)
		sc->mode = MODE_POOL;
	else
		return "expected spawn or pool";
	return NULL;
}

/* A whole number from min to max. */
static const char *
count_set(int *out, const char *value, double min, double max)
{
	double d;
	const char *err;

	if ((err = conf_value_number(&d, value, min, max)) != NULL)
		return err;
	if (d != (int)d)
		return "not a whole number";
	*out = (int)d;
	return NULL;
}

static const char *
stderr_set(struct svc_conf *sc, const char *value)
{
	if (strcmp(value, "log") == 0)
		sc->stderr_null = 0;
	else if (strcmp(value, "null") == 0)
		sc->stderr_null = 1;
	else
		return "expected log or null";
	return NULL;
}

static const char *
key_set(struct parse *p, struct svc_conf *sc, int k, const char *value)
{
	switch (k) {
	case KEY_LISTEN:
		return conf_value_listen(&sc->listen, value);
	case KEY_MODE:
		return mode_set(sc, value);
	case KEY_EXEC:
		sc->exec_line = p->line;
		return conf_value_exec(sc, p->conf->dir, value);
	case KEY_WORKERS:
		return count_set(&sc->workers, value, 1, WORKERS_MAX);
	case KEY_NOFILE:
		return count_set(&sc->nofile, value, 1, NOFILE_MAX);
	case KEY_USER:
		return conf_value_user(sc, value);
	case KEY_GROUP:
		return conf_value_group(sc, value);
	case KEY_ENV:
		return conf_value_env(sc, value);
	case KEY_MEMORY:
		return conf_value_size(&sc->memory, value);
	case KEY_STDERR:
		return stderr_set(sc, value);
	case KEY_CHDIR:
		sc->chdir_line = p->line;
		return conf_value_chdir(sc, p->conf->dir, value);
	case KEY_UMASK:
		return conf_value_mode(&sc->cmask, value);
	case KEY_SOCKET_MODE:
		return conf_value_mode(&sc->sock_mode, value);
	case KEY_SOCKET_OWNER:
		return conf_value_owner(&sc->sock_uid, value);
	case KEY_SOCKET_GROUP:
		return conf_value_owner_group(&sc->sock_gid, value);
	default:
		return conf_value_number(&sc->timeout, value, 0, TIMEOUT_MAX);
	}
}

static int
conf_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct parse *p = user;
	struct svc_conf *sc = p->cur;
	char v[INI_MAX_LINE];
	const char *err;
	int k;

	(void)snprintf(v, sizeof(v), "%s", value);
	comment_strip(v);
	if (v[0] == '\0') {
		parse_error(p, "no value for '%s'", name);
		return 0;
	}
	if (section[0] == '\0') {
		global_set(p, name, v);
		return p->errline == 0;
	}
	if (sc == NULL)
		return 0;
	for (k = 0; k < KEY_COUNT && strcmp(name, key_names[k]) != 0; k++)
		;
	if (k == KEY_COUNT)
		parse_error(p, "service '%s': unknown key '%s'", sc->name,
		    name);
	else if (k != KEY_ENV && sc->seen & 1U << k)
		parse_error(p, "service '%s': '%s' set twice", sc->name, name);
	else if ((err = key_set(p, sc, k, v)) != NULL)
		parse_error(p, "service '%s': %s '%s': %s", sc->name, name, v,
		    err);
	sc->seen |= k < KEY_COUNT ? 1U << k : 0;
	if (k >= KEY_SOCKET_MODE && k < KEY_COUNT && sc->sock_line == 0) {
		sc->sock_line = p->line;
		sc->sock_key = key_names[k];
	}
	return p->errline == 0;
}

static struct conf *
conf_new(const char *path, const char *abs)
{
	struct conf *c;
	char dir[PATH_MAX];

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("%s: no memory to read it", path);
	(void)snprintf(c->path, sizeof(c->path), "%s", path);
	(void)snprintf(dir, sizeof(dir), "%s", abs);
	(void)snprintf(c->dir, sizeof(c->dir), "%s", dirname(dir));
	c->grace = DEFAULT_GRACE;
	return c;
}

/*
 * Parse the file at abs (path as the user gave it, for messages). abs is
 * resolved here, at every load: a symbolic link flipped since the last
 * one is followed, and exec paths are relative to where it leads now.
 * Returns the new configuration, or NULL after logging "FILE:LINE:
 * message".
 */
struct conf *
conf_load(const char *path, const char *abs)
{
	struct parse p;
	char real[PATH_MAX];
	int r;

	memset(&p, 0, sizeof(p));
	if (realpath(abs, real) == NULL || (p.f = fopen(real, "r")) == NULL) {
		log_raw("%s: %s", path, strerror(errno));
		return NULL;
	}
	p.conf = conf_new(path, real);
	r = ini_parse_stream(conf_read, &p, conf_handler, &p);
	if (r == -2)
		fatalx("%s: no memory to parse it", path);
	if (!p.errline && ferror(p.f))
		parse_error(&p, "read error");
	if (!p.errline && p.cur)
		section_finish(&p, p.cur);
	if (!p.errline && p.conf->nsvc == 0)
		parse_error(&p, "no service defined");
	if (r > 0 && (!p.errline || r < p.errline)) {
		p.errline = r;
		(void)snprintf(p.err, sizeof(p.err), "syntax error");
	}
	(void)fclose(p.f);
	if (p.errline) {
		log_raw("%s:%d: %s", path, p.errline, p.err);
		conf_free(p.conf);
		return NULL;
	}
	return p.conf;
}

void
conf_free(struct conf *c)
{
	int i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nsvc; i++)
		free(c->svc[i]);
	free(c->svc);
	free(c);
}

int
conf_addr_equal(const struct addr *a, const struct addr *b)
{
	return a->len == b->len && a->dual == b->dual &&
	    memcmp(&a->ss, &b->ss, a->len) == 0;
}
