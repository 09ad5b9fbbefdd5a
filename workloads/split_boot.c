// split-boot: the point where a guest's boot stops being shared.
//
// Every scenario of one kernel link and seed boots the same instructions up to
// here (bench/guest/split.ts): the host boots that prefix once, stops it at
// split_boot_point() with a breakpoint of QEMU's gdbstub (which stops the
// vCPU before that instruction, at the same guest instruction count every
// time under icount), and saves the machine. Each scenario's guest is that
// machine restored, with its scenario (a cpio archive) written into
// `scenario` and its length into `scenario_length` by the host, again
// through the gdbstub while the vCPU is stopped. So the scenario reaches
// the guest without any I/O whose timing the host decides.
//
// Linked static at a text address no other program of the guest uses
// (Makefile), so the breakpoint's address is this function's alone.
//
// Usage: split-boot FILE   writes the scenario archive to FILE.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SCENARIO_CAPACITY (8u << 20)

char scenario[SCENARIO_CAPACITY];
volatile unsigned long scenario_length;

__attribute__((noinline, used)) void split_boot_point(void)
{
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: split-boot FILE\n");
		return 2;
	}
	// Every page written now, so that each is mapped when the host writes it.
	memset(scenario, 0, sizeof scenario);
	scenario_length = 0;
	split_boot_point();
	unsigned long length = scenario_length;
	if (length == 0 || length > sizeof scenario) {
		fprintf(stderr, "split-boot: no scenario was written (length %lu): this boot was not restored by the host\n", length);
		return 1;
	}
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		fprintf(stderr, "split-boot: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (unsigned long done = 0; done < length;) {
		ssize_t n = write(fd, scenario + done, length - done);
		if (n < 0) {
			fprintf(stderr, "split-boot: %s: %s\n", argv[1], strerror(errno));
			return 1;
		}
		done += (unsigned long)n;
	}
	return close(fd) == 0 ? 0 : 1;
}
