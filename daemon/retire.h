/*
 * retire.h - stopping a pool worker without failing a client (retire.c).
 */
#ifndef RETIRE_H
#define RETIRE_H

struct state;
struct worker;

#define RETIRE_POLL_S	0.01	/* a retiring pool worker busy: look again */
#define RETIRE_STOP_S	0.001	/* SIGSTOP sent: look whether it took */

void		 retire_start(struct state *, struct worker *);

#endif
