/*
 * Keeps libc and ld.so mapped while the dynamic target runs, as the shell
 * that runs a command (and every daemon of a real system) keeps them. When
 * nothing else maps them, each exec of a dynamic program maps libc's pages
 * from a count of zero and unmaps them back to zero, and the kernel updates
 * its mapped-file statistics, memcg's included, at both ends: work that no
 * real machine's exec does. It waits for a signal, then exits.
 */
#include <unistd.h>

int main(void)
{
	pause();
	return 0;
}
