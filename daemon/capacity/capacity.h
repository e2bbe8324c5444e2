/*
 * capacity.h - the capacity proof of a configuration (capacity.c): price
 * its workers, check the machine holds them, refuse or cap.
 */
#ifndef CAPACITY_H
#define CAPACITY_H

struct conf;
struct state;

int	capacity_plan(struct state *, struct conf *);

#endif
