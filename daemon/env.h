/*
 * env.h - a spawn-mode worker's environment (env.c): the UCSPI variables
 * of its connection, then its service's env lines.
 */
#ifndef ENV_H
#define ENV_H

#include <sys/socket.h>

struct spawn_slot;
struct svc_conf;

char		**env_build(struct spawn_slot *, const struct svc_conf *, int,
		    const struct sockaddr_storage *, unsigned long);

#endif
