/*
 * rt_start.c - main() of a one-page worker: from the process image the
 * kernel made to rt_main() running on the worker's own page (rt.h, START).
 */
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rt.h"
#include "rt_impl.h"

/*
 * The initial stack as execve(2) leaves it on x86-64; crt1 hands argc and
 * argv to musl, which finds envp after argv and auxv after envp:
 *
 *	%rsp ->	argc
 *		argv[0] ... argv[argc-1], NULL
 *		envp[0] ... NULL
 *		auxv (type, value) pairs ... AT_NULL
 *		padding, AT_RANDOM bytes, platform string
 *		argument and environment strings
 *		AT_EXECFN string, NULL pointer
 *	top  ->	(end of the stack mapping, a random offset below TASK_SIZE)
 *
 * Everything in it that outlives main() is copied into the arena, so the
 * whole mapping can go.
 */

/* The part of musl 1.2's struct __libc (src/internal/libc.h) we touch. */
struct musl_libc {
	char	 flags[4];		/* can_do_threads, threaded, secure, need_locks */
	int	 threads_minus_1;
	size_t	*auxv;			/* read by getauxval() and the vDSO lookup */
	void	*tls_head;
	size_t	 tls_size, tls_align, tls_cnt;
	size_t	 page_size;
};
extern struct musl_libc __libc;
extern char **__environ;
extern char *__progname, *__progname_full;

extern char __rt_arena_start[], __rt_arena_end[], __rt_stack_top[];
void	rt_switch(void *sp, void (*fn)(void *), void *arg)
	    __attribute__((noreturn, visibility("hidden")));

struct rt_state rt_state;

/* The auxv entries libc may still read after start. */
static const unsigned long kept_aux[] = {
	AT_PAGESZ, AT_HWCAP, AT_HWCAP2, AT_SECURE, AT_UID, AT_EUID, AT_GID,
	AT_EGID, AT_CLKTCK, AT_MINSIGSTKSZ,
};
#define NKEPT (sizeof(kept_aux) / sizeof(kept_aux[0]))

static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Copy a NULL-terminated string vector into the arena, strings packed. */
static char **
copy_vector(char **v)
{
	char **copy, *text;
	size_t n, i, len, total = 0;

	for (n = 0; v[n]; n++)
		total += strlen(v[n]) + 1;
	copy = rt_alloc((n + 1) * sizeof(*copy) + total);
	text = (char *)(copy + n + 1);
	for (i = 0; i < n; i++) {
		len = strlen(v[i]) + 1;
		copy[i] = memcpy(text, v[i], len);
		text += len;
	}
	copy[n] = NULL;
	return copy;
}

/*
 * The vDSO and vvar: musl resolves the vDSO lazily through libc.auxv, so
 * hiding AT_SYSINFO_EHDR makes time functions use system calls; then
 * [vvar_vclock][vvar][vdso], which sit together below the vDSO's end, go.
 * The 1 MiB below the vDSO holds nothing else in a static program.
 */
static void
unmap_vdso(unsigned long *aux)
{
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *ph;
	unsigned long base = 0, len = 0x2000;
	int i;

	for (; aux[0] != AT_NULL; aux += 2)
		if (aux[0] == AT_SYSINFO_EHDR) {
			base = aux[1];
			aux[0] = AT_IGNORE;
		}
	if (base == 0)
		return;
	eh = (const Elf64_Ehdr *)base;
	ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			len = (ph[i].p_vaddr + ph[i].p_memsz + 0xfff) & ~0xfffUL;
	munmap((void *)(base - 0x100000), len + 0x100000);
}

/* Keep the auxv entries libc reads; the copy ends with AT_NULL (zeroed). */
static size_t *
copy_auxv(unsigned long *aux)
{
	size_t *copy = rt_alloc((NKEPT + 1) * 2 * sizeof(size_t));
	size_t n = 0, k;

	for (; aux[0] != AT_NULL; aux += 2) {
		for (k = 0; k < NKEPT; k++)
			if (aux[0] == kept_aux[k])
				break;
		if (k < NKEPT) {
			copy[2 * n] = aux[0];
			copy[2 * n + 1] = aux[1];
			n++;
		}
		if (aux[0] == AT_EXECFN)
			rt_state.old_stack_hi = (aux[1] +
			    strlen((char *)aux[1]) + 1 + 0xfff) & ~0xfffUL;
	}
	return copy;
}

/* Whether an environment variable is one a superserver passes (UCSPI). */
static int
is_ucspi(const char *var)
{
	return strncmp(var, "PROTO=", 6) == 0 || strncmp(var, "TCP", 3) == 0 ||
	    strncmp(var, "UNIX", 4) == 0 || strncmp(var, "RT_", 3) == 0;
}

/*
 * Choose the variables that fit in budget bytes (pointer and string each),
 * UCSPI ones first, then the rest in order; copy them if copy is set.
 * Returns how many were chosen and adds their string bytes to *text_len.
 */
static size_t
choose_environ(char **env, size_t budget, char **copy, size_t *text_len)
{
	char *text = copy ? (char *)copy + *text_len : NULL;
	size_t n = 0, len;
	char **e;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (e = env; *e; e++) {
			len = strlen(*e) + 1;
			if (is_ucspi(*e) != (pass == 0) ||
			    len + sizeof(char *) > budget)
				continue;
			budget -= len + sizeof(char *);
			if (copy) {
				copy[n] = memcpy(text, *e, len);
				text += len;
			} else
				*text_len += len;
			n++;
		}
	return n;
}

/* environ into the arena; what does not fit is dropped, with a warning. */
static char **
copy_environ(char **env)
{
	size_t total, kept, text_len = 0, budget = rt_arena_left();
	char **copy;

	for (total = 0; env[total]; total++)
		;
	if (budget < sizeof(char *))
		rt_die(RT_EXIT_TEMP, "no arena left for the environment", 0);
	kept = choose_environ(env, budget - sizeof(char *), NULL, &text_len);
	copy = rt_alloc((kept + 1) * sizeof(char *) + text_len);
	text_len = (kept + 1) * sizeof(char *);
	choose_environ(env, budget - sizeof(char *), copy, &text_len);
	copy[kept] = NULL;
	if (kept < total)
		rt_warn("environment variables dropped: they do not fit in "
		    "the arena (see RT_PAGE_BYTES in myriad-worker(7))", 0);
	return copy;
}

static void __attribute__((noreturn))
on_page_stack(void *unused)
{
	int code;

	(void)unused;
	munmap((void *)rt_state.old_stack_lo,
	    rt_state.old_stack_hi - rt_state.old_stack_lo);
	code = rt_main(rt_state.argc, rt_state.argv);
	rt_stack_check();
	_exit(code);
}

int
main(int argc, char **argv)
{
	unsigned long *aux;
	char **e;

	/* The canary takes the arena's last 16 bytes (alignment kept). */
	rt_state.arena_next = __rt_arena_start;
	rt_state.arena_end = (char *)((unsigned long)__rt_arena_end - 16);
	rt_state.canary = (unsigned long *)((unsigned long)__rt_arena_end - 8);
	*rt_state.canary = RT_CANARY;
	rt_state.name = base_name(argv[0] ? argv[0] : "worker");
	for (e = __environ; *e; e++)
		;
	aux = (unsigned long *)(e + 1);
	if (__libc.auxv != (size_t *)aux || __libc.page_size != 4096)
		rt_die(RT_EXIT_TEMP, "musl internals do not match the runtime "
		    "(built for musl 1.2's struct __libc)", 0);
	unmap_vdso(aux);
	rt_state.old_stack_hi = 0x7ffffffff000UL;	/* if AT_EXECFN is absent */
	__libc.auxv = copy_auxv(aux);
	rt_state.argc = argc;
	rt_state.argv = copy_vector(argv);
	__environ = copy_environ(__environ);
	rt_state.name = base_name(rt_state.argv[0] ? rt_state.argv[0] : "worker");
	__progname = __progname_full = (char *)rt_state.name;
	rt_timeout_init();
	signal(SIGPIPE, SIG_IGN);
	rt_state.old_stack_lo =
	    ((unsigned long)__builtin_frame_address(0) & ~0xfffUL) - 0x100000;
	rt_switch(__rt_stack_top, on_page_stack, NULL);
}
