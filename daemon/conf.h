/*
 * conf.h - a parsed myriad.conf(5): the global settings and one svc_conf
 * per service, read by conf.c, its values parsed by conf_value.c.
 */
#ifndef CONF_H
#define CONF_H

#include <sys/socket.h>
#include <sys/types.h>
#include <limits.h>

#include "capacity/ledger.h"

#define NAME_MAX_LEN	64	/* service name, with its NUL */
#define ADDR_TEXT_MAX	128	/* listen value, with its NUL */
#define ARGS_MAX	32	/* words of exec */
#define ARGS_BYTES	256	/* exec line, split in place */
#define ENV_MAX		64	/* env lines of a service */
#define ENV_BYTES	4096	/* their text */
#define GROUPS_MAX	64	/* supplementary groups of a user */
#define WORKERS_MAX	100000	/* per service */
#define NOFILE_MAX	1048576	/* rlimit_nofile: the kernel's nr_open */

enum mode { MODE_SPAWN, MODE_POOL };

struct addr {
	struct sockaddr_storage ss;	/* AF_INET, AF_INET6 or AF_UNIX */
	socklen_t	len;		/* of ss as bound */
	int		dual;		/* *:PORT, v6 socket taking v4 too */
	char		text[ADDR_TEXT_MAX];	/* as written in the config */
	mode_t		mode;		/* UNIX: the socket file's mode */
	uid_t		uid;		/* its owner; -1: the daemon's */
	gid_t		gid;		/* its group; -1: the daemon's */
};

struct svc_conf {
	char		name[NAME_MAX_LEN];
	int		line;		/* of the [name] header */
	unsigned	seen;		/* keys set, 1 << KEY_* (conf.c) */
	struct addr	listen;
	enum mode	mode;
	int		workers;	/* spawn: max concurrent; pool: size */
	double		timeout;	/* spawn: kill after, seconds; 0 none */
	char		path[PATH_MAX];	/* program, resolved */
	char		args[ARGS_BYTES];	/* exec, split in place */
	char		*argv[ARGS_MAX + 1];
	char		envbuf[ENV_BYTES];	/* env lines, NUL separated */
	size_t		envlen;
	char		*envp[ENV_MAX + 1];
	int		nenv;
	int		stderr_null;	/* stderr = null: fd 2 is /dev/null */
	int		exec_line;	/* of the exec key */
	char		user[NAME_MAX_LEN];	/* the user's name, if given */
	int		set_uid;	/* user given */
	int		set_gid;	/* user or group given */
	uid_t		uid;
	gid_t		gid;
	gid_t		user_gid;	/* the user's primary group */
	gid_t		groups[GROUPS_MAX];
	int		ngroups;
	char		workdir[PATH_MAX];	/* chdir key, resolved */
	mode_t		cmask;		/* umask key */
	/* socket_* keys, given to listen once the section is read */
	mode_t		sock_mode;
	uid_t		sock_uid;
	gid_t		sock_gid;
	int		sock_line;	/* of the first of them, 0 none */
	int		chdir_line;	/* of the chdir key, 0 none */
	const char	*sock_key;	/* its name */
	/* memory key: a foreign worker's budget */
	long long	memory;
	int		nofile;		/* its workers' RLIMIT_NOFILE */
	/* its ledger share; workers = granted */
	struct share	share;
};

struct conf {
	char		path[PATH_MAX];	/* as given, for messages */
	char		dir[PATH_MAX];	/* exec paths are relative to it */
	char		control[PATH_MAX];	/* control socket */
	double		grace;		/* SIGTERM to SIGKILL, seconds */
	enum policy	policy;		/* when the machine cannot hold it */
	struct svc_conf	**svc;
	int		nsvc;
	int		cap;		/* of svc */
};

/* conf.c */
struct conf	*conf_load(const char *, const char *);
void		 conf_free(struct conf *);
int		 conf_addr_equal(const struct addr *, const struct addr *);

/* conf_value.c: each returns NULL or what is wrong with the value */
const char	*conf_value_listen(struct addr *, const char *);
const char	*conf_value_exec(struct svc_conf *, const char *, const char *);
const char	*conf_value_user(struct svc_conf *, const char *);
const char	*conf_value_group(struct svc_conf *, const char *);
const char	*conf_value_env(struct svc_conf *, const char *);
const char	*conf_value_chdir(struct svc_conf *, const char *,
		    const char *);
const char	*conf_value_mode(mode_t *, const char *);
const char	*conf_value_owner(uid_t *, const char *);
const char	*conf_value_owner_group(gid_t *, const char *);
const char	*conf_value_number(double *, const char *, double, double);
const char	*conf_value_size(long long *, const char *);

/* conf_access.c */
const char	*conf_access_check(const struct svc_conf *, const char *,
		    const char *, char *, size_t);

#endif
