/*
 * What every loader here shares: stop on SIGINT/SIGTERM, and libbpf's debug
 * output only with -v. Included by one .c file per program.
 */
#ifndef KRSI_LOADER_H
#define KRSI_LOADER_H

#include <signal.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stopping;
static int verbose;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/*
 * Polls the ring buffer until SIGINT or SIGTERM, then drains what was
 * submitted before the signal. 0, or a failed poll's -errno after a line
 * naming the tool.
 */
static int poll_until_stopped(const char *tool, struct ring_buffer *rb)
{
	while (!stopping) {
		int err = ring_buffer__poll(rb, 200);
		if (err == -EINTR)
			break;
		if (err < 0) {
			fprintf(stderr, "%s: polling the ring buffer: %s\n", tool, strerror(-err));
			return err;
		}
	}
	ring_buffer__consume(rb);
	return 0;
}

/* Sets up the signals and libbpf's printing; call first thing in main. */
static void loader_init(void)
{
	libbpf_set_print(print_libbpf);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
}

#endif
