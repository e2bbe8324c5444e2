/*
 * chargen.c - RFC 864 character generator: lines of 72 printable ASCII
 * characters, each starting one character further along the 95-character
 * cycle, sent until the client closes (or stops reading for the timeout).
 */
#include <errno.h>

#include "rt.h"

#define LINE_CHARS	72
#define LINE_BYTES	(LINE_CHARS + 2)
#define CYCLE		95	/* ' ' .. '~' */
#define LINES_PER_WRITE	8

static char block[LINE_BYTES * LINES_PER_WRITE];

/* Fill the block with the LINES_PER_WRITE lines that start at *first. */
static void
fill(unsigned *first)
{
	char *line = block;
	unsigned i, c;

	for (i = 0; i < LINES_PER_WRITE; i++, line += LINE_BYTES) {
		for (c = 0; c < LINE_CHARS; c++)
			line[c] = (char)(' ' + (*first + c) % CYCLE);
		line[LINE_CHARS] = '\r';
		line[LINE_CHARS + 1] = '\n';
		*first = (*first + 1) % CYCLE;
	}
}

static int
chargen(int in, int out)
{
	unsigned first = 0;

	(void)in;
	for (;;) {
		fill(&first);
		if (rt_write_all(out, block, LINE_BYTES * LINES_PER_WRITE) == -1)
			return errno == ETIMEDOUT ? RT_EXIT_TEMP : RT_EXIT_OK;
	}
}

int
rt_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return rt_serve(chargen);
}
