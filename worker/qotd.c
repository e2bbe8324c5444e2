/* qotd.c - RFC 865 quote of the day: one short message (< 512 bytes), close. */
#include "rt.h"

static const char quote[] =
    "\"The purpose of computing is insight, not numbers.\"\r\n"
    "  -- Richard W. Hamming\r\n";

static int
qotd(int in, int out)
{
	(void)in;
	return rt_write_all(out, quote, sizeof(quote) - 1) == 0 ?
	    RT_EXIT_OK : RT_EXIT_TEMP;
}

int
rt_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return rt_serve(qotd);
}
