/*
 * bigbss.c - test program: 16 MiB of bss, more than a small memory
 * budget's RLIMIT_DATA holds, so its exec fails after the point of no
 * return (the kernel kills it with SIGSEGV). Prints "ran" if it runs.
 */
#include <stdio.h>

static char big[16 << 20];

int
main(void)
{
	big[0] = 1;
	puts("ran");
	return big[0] - 1;
}
