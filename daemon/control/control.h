/*
 * control.h - the control socket of myriadctl(8) (control/): opened at
 * start, closed on stop.
 */
#ifndef CONTROL_H
#define CONTROL_H

struct conf;
struct state;

void	control_open(struct state *, const struct conf *);
void	control_close(struct state *);

#endif
