/*
 * stall.c - test tool: hold the next child a process clones before it
 * can exec, as a child stopped after its clone (Ctrl-Z) or an exec
 * blocked on a hung mount would be, deterministically. It traces PID
 * until its next clone, lets PID go at once, and keeps the new child in
 * a ptrace stop: right after the clone, or with -x at the entry of its
 * execve. Until the child dies, which it reports, the child runs nothing.
 *
 *	stall [-x] -p PID -o FILE
 *
 * FILE gets "attached", then "stalled CHILD", then "gone SIGNAL".
 */
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static FILE *out;

static void
say(const char *fmt, long n)
{
	fprintf(out, fmt, n);
	fflush(out);
}

/* PID's next clone: its child's pid; PID is let go. */
static pid_t
next_child(pid_t pid)
{
	unsigned long msg;
	int status, event;

	for (;;) {
		if (waitpid(pid, &status, __WALL) == -1)
			err(1, "waitpid %d", (int)pid);
		if (!WIFSTOPPED(status))
			errx(1, "%d is gone", (int)pid);
		event = status >> 16;
		if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK ||
		    event == PTRACE_EVENT_CLONE)
			break;
		/* A signal on its way to PID goes on; a group stop stays. */
		if (ptrace(PTRACE_CONT, pid, 0, event ? 0 : WSTOPSIG(status))
		    == -1)
			err(1, "PTRACE_CONT %d", (int)pid);
	}
	if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg) == -1)
		err(1, "PTRACE_GETEVENTMSG");
	if (ptrace(PTRACE_DETACH, pid, 0, 0) == -1)
		err(1, "PTRACE_DETACH %d", (int)pid);
	return (pid_t)msg;
}

/* Let the child run up to the entry of its execve. */
static void
to_execve(pid_t child)
{
	struct user_regs_struct regs;
	int status, sig = 0;

	for (;;) {
		if (ptrace(PTRACE_SYSCALL, child, 0, sig) == -1)
			err(1, "PTRACE_SYSCALL %d", (int)child);
		if (waitpid(child, &status, __WALL) == -1)
			err(1, "waitpid %d", (int)child);
		if (!WIFSTOPPED(status))
			errx(1, "%d died before its execve", (int)child);
		sig = 0;
		if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
			if (status >> 16 == 0)
				sig = WSTOPSIG(status);
			continue;
		}
		if (ptrace(PTRACE_GETREGS, child, 0, &regs) == -1)
			err(1, "PTRACE_GETREGS %d", (int)child);
		if (regs.orig_rax == SYS_execve &&
		    (long)regs.rax == -ENOSYS)
			return;
	}
}

int
main(int argc, char **argv)
{
	pid_t pid = 0, child;
	const char *file = NULL;
	int ch, at_exec = 0, status;

	while ((ch = getopt(argc, argv, "o:p:x")) != -1) {
		switch (ch) {
		case 'o':
			file = optarg;
			break;
		case 'p':
			pid = (pid_t)atoi(optarg);
			break;
		case 'x':
			at_exec = 1;
			break;
		default:
			errx(100, "usage: stall [-x] -p PID -o FILE");
		}
	}
	if (pid <= 1 || file == NULL)
		errx(100, "usage: stall [-x] -p PID -o FILE");
	if ((out = fopen(file, "w")) == NULL)
		err(111, "%s", file);
	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACEFORK |
	    PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
	    PTRACE_O_TRACESYSGOOD) == -1)
		err(111, "PTRACE_SEIZE %d", (int)pid);
	say("attached\n", 0);
	child = next_child(pid);
	/* An auto-attached child starts in a stop, before its first step. */
	if (waitpid(child, &status, __WALL) == -1)
		err(1, "waitpid %d", (int)child);
	if (at_exec)
		to_execve(child);
	say("stalled %ld\n", child);
	for (;;) {
		if (waitpid(child, &status, __WALL) == -1)
			err(1, "waitpid %d", (int)child);
		if (WIFSIGNALED(status) || WIFEXITED(status))
			break;
	}
	say("gone %ld\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return 0;
}
