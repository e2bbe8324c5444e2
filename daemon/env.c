/*
 * env.c - the environment of a spawn-mode worker, built from scratch in a
 * preallocated buffer: the UCSPI variables exactly as tcpserver sets them
 * (PROTO=UNIX and the peer's credentials on UNIX sockets), then the
 * service's env lines.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "env.h"
#include "spawn.h"

struct env_buf {
	struct spawn_slot *s;
	size_t		used;
	int		n;
};

static void
env_add(struct env_buf *e, const char *name, const char *value)
{
	char *p = e->s->ucspi + e->used;
	size_t left = sizeof(e->s->ucspi) - e->used;
	int r;

	r = snprintf(p, left, "%s=%s", name, value);
	if (r < 0 || (size_t)r >= left)
		return;
	e->s->env[e->n++] = p;
	e->used += (size_t)r + 1;
}

static void
env_number(struct env_buf *e, const char *name, unsigned long v)
{
	char num[24];

	(void)snprintf(num, sizeof(num), "%lu", v);
	env_add(e, name, num);
}

/* IP as text (IPv4-mapped IPv6 as plain IPv4, as tcpserver does). */
static void
env_ip(struct env_buf *e, const char *ip, const char *port,
    const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;
	char text[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
		(void)inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], text,
		    sizeof(text));
		env_add(e, ip, text);
		env_number(e, port, ntohs(in6->sin6_port));
	} else if (ss->ss_family == AF_INET6) {
		(void)inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
		env_add(e, ip, text);
		env_number(e, port, ntohs(in6->sin6_port));
	} else {
		(void)inet_ntop(AF_INET, &in4->sin_addr, text, sizeof(text));
		env_add(e, ip, text);
		env_number(e, port, ntohs(in4->sin_port));
	}
}

/*
 * The environment for connection fd of sc, whose peer accept4 gave, in
 * spawn slot s: it lives as long as the slot's spawn. connnum is
 * TCPCONNNUM: its source's connections, this one included (as
 * s6-tcpserver counts them).
 */
char **
env_build(struct spawn_slot *s, const struct svc_conf *sc, int fd,
    const struct sockaddr_storage *peer, unsigned long connnum)
{
	struct env_buf e = { s, 0, 0 };
	struct sockaddr_storage local;
	struct ucred cred;
	socklen_t len;
	int i;

	if (peer->ss_family == AF_UNIX) {
		env_add(&e, "PROTO", "UNIX");
		len = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
			env_number(&e, "UNIXREMOTEUID", cred.uid);
			env_number(&e, "UNIXREMOTEGID", cred.gid);
			env_number(&e, "UNIXREMOTEPID",
			    (unsigned long)cred.pid);
		}
	} else {
		env_add(&e, "PROTO", "TCP");
		len = sizeof(local);
		if (getsockname(fd, (struct sockaddr *)&local, &len) == 0)
			env_ip(&e, "TCPLOCALIP", "TCPLOCALPORT", &local);
		env_ip(&e, "TCPREMOTEIP", "TCPREMOTEPORT", peer);
		env_number(&e, "TCPCONNNUM", connnum);
	}
	for (i = 0; i < sc->nenv; i++)
		s->env[e.n++] = sc->envp[i];
	s->env[e.n] = NULL;
	return s->env;
}
