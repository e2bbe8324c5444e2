/*
 * daytime.c - RFC 867 daytime: one line of human-readable UTC time, e.g.
 * "Sunday, November 22, 2026 01:23:45-UTC", then close.
 */
#include <time.h>

#include "rt.h"

static const char *const weekdays[] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday",
};
static const char *const months[] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

static size_t
two_digits(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return 2;
}

static int
daytime(int in, int out)
{
	char line[64], *p = line;
	time_t now = time(NULL);
	struct tm tm;

	(void)in;
	if (gmtime_r(&now, &tm) == NULL)
		return RT_EXIT_TEMP;
	p += rt_fmt(p, weekdays[tm.tm_wday]);
	p += rt_fmt(p, ", ");
	p += rt_fmt(p, months[tm.tm_mon]);
	p += rt_fmt(p, " ");
	p += rt_utoa(p, (unsigned long)tm.tm_mday);
	p += rt_fmt(p, ", ");
	p += rt_utoa(p, (unsigned long)tm.tm_year + 1900);
	p += rt_fmt(p, " ");
	p += two_digits(p, tm.tm_hour);
	*p++ = ':';
	p += two_digits(p, tm.tm_min);
	*p++ = ':';
	p += two_digits(p, tm.tm_sec);
	p += rt_fmt(p, "-UTC\r\n");
	return rt_write_all(out, line, (size_t)(p - line)) == 0 ?
	    RT_EXIT_OK : RT_EXIT_TEMP;
}

int
rt_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return rt_serve(daytime);
}
