/*
 * Preloaded (LD_PRELOAD) into the kernel build's processes: backs the large
 * anonymous mappings they make with transparent huge pages.
 *
 * Why: gcc's garbage-collected heap grows in 2 MiB anonymous mmap()s, touched
 * one 4 KiB page at a time. On virtual machines where a page fault is
 * expensive (measured on a 2-core cloud VM: 13 us per 4 KiB fault, 0.3 us
 * per 4 KiB once a huge page is in place) those faults are a large part of
 * a kernel build. With the host's THP mode at "madvise"
 * (Debian's default) a mapping gets huge pages only if it asks, and gcc never
 * asks, so this library asks for it. The compiler's output does not depend on
 * where its memory lies: the kernel image is byte-identical either way.
 *
 * malloc's own heap is covered by glibc itself (GLIBC_TUNABLES
 * glibc.malloc.hugetlb=1); glibc calls its internal mmap, not this one.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HUGE_PAGE (2UL << 20)

static void *raw_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	const int plain_anon = MAP_PRIVATE | MAP_ANONYMOUS;
	const int special = MAP_FIXED | MAP_FIXED_NOREPLACE | MAP_HUGETLB | MAP_GROWSDOWN;

	if (addr || (flags & plain_anon) != plain_anon || (flags & special) || len < HUGE_PAGE)
		return raw_mmap(addr, len, prot, flags, fd, off);

	/* A huge page needs a 2 MiB-aligned range: map one huge page more than
	 * asked, then give back the unaligned head and the tail. */
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t want = (len + page - 1) & ~(page - 1);
	size_t span = want + HUGE_PAGE;
	char *start = raw_mmap(NULL, span, prot, flags, -1, 0);
	if (start == MAP_FAILED)
		return start;
	char *aligned = (char *)(((uintptr_t)start + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1));
	if (aligned > start)
		munmap(start, (size_t)(aligned - start));
	char *end = start + span;
	if (end > aligned + want)
		munmap(aligned + want, (size_t)(end - (aligned + want)));
	madvise(aligned, want, MADV_HUGEPAGE);
	return aligned;
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
	__attribute__((alias("mmap")));
