/*
 * cost.c - what one worker of a program costs, read from its ELF headers:
 * a one-page lib/rt worker can never grow past its RW segment, so its user
 * part is exact; any other program is charged its service's memory budget.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "capacity/cost.h"

#define PHDRS_MAX 32

struct elf_shape {
	/* ET_EXEC, no interpreter, not dynamic */
	int		 static_exec;
	int		 nload;		/* PT_LOAD segments */
	int		 relro;		/* has PT_GNU_RELRO */
	long long	 rw_memsz;	/* the writable PT_LOAD, if one */
	unsigned long	 rw_vaddr;
	int		 nrw;
	long long	 span;		/* the PT_LOADs' pages */
};

/* Read the program headers; 0 if fd is ELF64 x86-64, -1 otherwise. */
static int
read_shape(int fd, struct elf_shape *s)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[PHDRS_MAX];
	int i;

	memset(s, 0, sizeof(*s));
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > PHDRS_MAX)
		return -1;
	if (pread(fd, ph, eh.e_phnum * sizeof(ph[0]), (off_t)eh.e_phoff) !=
	    (ssize_t)(eh.e_phnum * sizeof(ph[0])))
		return -1;
	s->static_exec = eh.e_type == ET_EXEC;
	for (i = 0; i < eh.e_phnum; i++) {
		switch (ph[i].p_type) {
		case PT_INTERP:
		case PT_DYNAMIC:
			s->static_exec = 0;
			break;
		case PT_GNU_RELRO:
			s->relro = 1;
			break;
		case PT_LOAD:
			s->nload++;
			s->span += (long long)(((ph[i].p_vaddr % 4096 +
			    ph[i].p_memsz + 4095) / 4096) * 4096);
			if (ph[i].p_flags & PF_W) {
				s->nrw++;
				s->rw_memsz = (long long)ph[i].p_memsz;
				s->rw_vaddr = ph[i].p_vaddr;
			}
			break;
		}
	}
	return 0;
}

/* The layout worker.ld makes: text, then one page-aligned RW of whole pages. */
static int
is_one_page(const struct elf_shape *s)
{
	return s->static_exec && !s->relro && s->nload == 2 && s->nrw == 1 &&
	    s->rw_vaddr % 4096 == 0 && s->rw_memsz % 4096 == 0 &&
	    s->rw_memsz > 0 && s->rw_memsz <= 64 * 1024;
}

int
cost_of(const char *path, long long budget, struct cost *c, const char **why)
{
	struct elf_shape shape;
	int fd, elf;

	memset(c, 0, sizeof(*c));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*why = strerror(errno);
		return -1;
	}
	elf = read_shape(fd, &shape);
	c->kernel = COST_KERNEL_STACK + COST_TASK_OBJECTS;
	if (elf == 0 && is_one_page(&shape)) {
		/* Held to it by RLIMIT_DATA and RLIMIT_AS (spawn.c). */
		c->one_page = 1;
		c->user = shape.rw_memsz;
		c->kernel += COST_PAGETABLE_CHAIN;
		c->commit = shape.rw_memsz + COST_EXEC_STACK;
		c->span = shape.span + COST_EXEC_STACK + COST_EXEC_VDSO;
		(void)fstat(fd, &c->priced);
		close(fd);
		return 0;
	}
	close(fd);
	c->user = budget > 0 ? budget : COST_FOREIGN_DEFAULT;
	c->kernel += COST_FOREIGN_CHAINS * COST_PAGETABLE_CHAIN;
	c->commit = c->user;
	return 0;
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * Is the one-page program at PATH still within what COST charged? A file
 * changed since is read again: 0 if it still fits (it is the priced one
 * from then on), -1 if not. A file that cannot be read is left to the
 * exec to report.
 */
int
cost_still(const char *path, struct cost *c)
{
	struct elf_shape shape;
	struct stat sb;
	int fd, elf;

	if (stat(path, &sb) == -1 || same_file(&sb, &c->priced))
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	elf = read_shape(fd, &shape);
	if (fstat(fd, &sb) == -1)
		elf = -1;
	close(fd);
	if (elf == -1 || !is_one_page(&shape) || shape.rw_memsz > c->user ||
	    shape.span + COST_EXEC_STACK + COST_EXEC_VDSO > c->span)
		return -1;
	c->priced = sb;
	return 0;
}
