/*
 * creds.h - take a service's user, group and supplementary groups, in raw
 * system calls: for the spawned child (child.c) and for the child that
 * checks at load that the service's user can run its program
 * (conf_access.c). Both run in the daemon's memory.
 */
#ifndef CREDS_H
#define CREDS_H

#include <sys/syscall.h>
#include <errno.h>

#include "conf.h"
#include "rawsys.h"

/* Drop to sc's user and group, and check it took; 0 or -errno. */
static inline long
creds_take(const struct svc_conf *sc)
{
	long r;

	if (sc->set_gid) {
		if ((r = raw_syscall2(SYS_setgroups, sc->ngroups, sc->groups))
		    < 0 || (r = raw_syscall3(SYS_setresgid, sc->gid, sc->gid,
		    sc->gid)) < 0)
			return r;
		if ((gid_t)raw_syscall0(SYS_getegid) != sc->gid)
			return -EPERM;
	}
	if (sc->set_uid) {
		if ((r = raw_syscall3(SYS_setresuid, sc->uid, sc->uid,
		    sc->uid)) < 0)
			return r;
		if ((uid_t)raw_syscall0(SYS_geteuid) != sc->uid)
			return -EPERM;
	}
	return 0;
}

#endif
