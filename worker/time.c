/*
 * time.c - RFC 868 time: the seconds since 1900-01-01 00:00 UTC as 32 bits,
 * most significant byte first (wrapping in 2036, as the RFC's format does).
 */
#include <time.h>

#include "rt.h"

#define EPOCH_1900_TO_1970 2208988800UL

static int
rfc868_time(int in, int out)
{
	unsigned long t = (unsigned long)time(NULL) + EPOCH_1900_TO_1970;
	unsigned char word[4];

	(void)in;
	word[0] = (unsigned char)(t >> 24);
	word[1] = (unsigned char)(t >> 16);
	word[2] = (unsigned char)(t >> 8);
	word[3] = (unsigned char)t;
	return rt_write_all(out, word, sizeof(word)) == 0 ?
	    RT_EXIT_OK : RT_EXIT_TEMP;
}

int
rt_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return rt_serve(rfc868_time);
}
