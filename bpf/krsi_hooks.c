// SPDX-License-Identifier: GPL-2.0
/*
 * Loader and logger for krsi_hooks.bpf.c: keeps the one program that -p
 * names (see krsi_hooks.bpf.c), loads and attaches it, prints "attached",
 * then logs one JSON line per exec event, as krsi_ld_preload does, until
 * SIGINT or SIGTERM. On exit it drains its channel and prints its totals
 * (ld_preload_log.h): dropped counts the ring buffer's refusals, or the perf
 * buffer's failed outputs. A full perf ring both fails the output and is
 * reported to the lost callback, so those are the same events: printed apart
 * as perf_lost, never added. The channel is opened before the program is
 * attached: a perf event array without its per-CPU perf events fails every
 * output, and the guest's own execs at attach time were lost that way.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "loader.h"
#include "ld_preload_log.h"
#include "krsi_hooks.h"
#include "krsi_hooks.skel.h"

static const char *const PROGRAMS[] = { "perfbuf", "sleepable", "kprobe", "fentry", "tp_btf", "tracepoint" };
#define N_PROGRAMS (sizeof(PROGRAMS) / sizeof(PROGRAMS[0]))

static unsigned long long perf_lost;

static void on_perf_event(void *ctx, int cpu, void *data, __u32 size)
{
	(void)cpu;
	on_event(ctx, data, size);
}

static void on_perf_lost(void *ctx, int cpu, __u64 count)
{
	(void)ctx;
	(void)cpu;
	perf_lost += count;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: krsi_hooks -p PROGRAM [-v] [-b BYTES] -o LOGFILE\n"
		     "  -p PROGRAM  perfbuf, sleepable, kprobe, fentry, tp_btf or tracepoint\n"
		     "  -b BYTES    the channel's size, a power of two of at least 4096: the ring buffer\n"
		     "              (default 1 MiB), or the perf buffer per CPU (default 256 KiB)\n"
		     "  -o LOGFILE  one JSON line per exec event\n"
		     "  -v          libbpf debug output\n");
}

int main(int argc, char **argv)
{
	const char *log_path = NULL, *chosen = NULL;
	int opt, err = 0;
	unsigned long bytes = 0;
	struct krsi_hooks_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	struct perf_buffer *pb = NULL;
	struct bpf_program *prog = NULL;
	FILE *log = NULL;

	while ((opt = getopt(argc, argv, "vp:o:b:h")) != -1) {
		switch (opt) {
		case 'v': verbose = 1; break;
		case 'b': bytes = strtoul(optarg, NULL, 0); break;
		case 'p': chosen = optarg; break;
		case 'o': log_path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	int known = 0;
	for (size_t i = 0; chosen && i < N_PROGRAMS; i++)
		known |= !strcmp(chosen, PROGRAMS[i]);
	if (!log_path || !known || (bytes && (bytes < 4096 || (bytes & (bytes - 1))))) {
		usage(stderr);
		return 2;
	}
	int perf = !strcmp(chosen, "perfbuf");
	loader_init();

	log = fopen(log_path, "w");
	if (!log) {
		fprintf(stderr, "krsi_hooks: cannot open %s: %s\n", log_path, strerror(errno));
		return 1;
	}
	skel = krsi_hooks_bpf__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "krsi_hooks: cannot open BPF skeleton: %s\n", strerror(errno));
		goto cleanup;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		if (strcmp(bpf_program__name(prog), chosen))
			bpf_program__set_autoload(prog, false);
	}
	/* The channel this program does not use stays as small as the kernel allows. */
	if (perf)
		bpf_map__set_max_entries(skel->maps.events, 4096);
	else if (bytes)
		bpf_map__set_max_entries(skel->maps.events, bytes);
	err = krsi_hooks_bpf__load(skel);
	if (err) {
		fprintf(stderr, "krsi_hooks: BPF program %s failed to load (verifier log above): %s\n", chosen, strerror(-err));
		goto cleanup;
	}
	if (perf)
		pb = perf_buffer__new(bpf_map__fd(skel->maps.perf_events), bytes ? bytes / 4096 : 64, on_perf_event, on_perf_lost, log, NULL);
	else
		rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, log, NULL);
	if (!pb && !rb) {
		err = -errno;
		fprintf(stderr, "krsi_hooks: cannot open the %s: %s\n", perf ? "perf buffer" : "ring buffer", strerror(errno));
		goto cleanup;
	}
	err = krsi_hooks_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "krsi_hooks: cannot attach %s: %s\n", chosen, strerror(-err));
		goto cleanup;
	}
	printf("attached\n");
	fflush(stdout);

	if (!perf) {
		err = poll_until_stopped("krsi_hooks", rb);
		if (err)
			goto cleanup;
	}
	while (perf && !stopping) {
		err = perf_buffer__poll(pb, 200);
		if (err == -EINTR)
			break;
		if (err < 0) {
			fprintf(stderr, "krsi_hooks: polling the perf buffer: %s\n", strerror(-err));
			goto cleanup;
		}
	}
	err = 0;
	/* Events sent before the signal are still in the buffer. */
	if (perf)
		perf_buffer__consume(pb);
	print_totals(skel->bss->emitted, skel->bss->dropped, skel->bss->incomplete, 0, perf ? (long long)perf_lost : -1);

cleanup:
	perf_buffer__free(pb);
	ring_buffer__free(rb);
	krsi_hooks_bpf__destroy(skel);
	if (log && fclose(log) != 0 && !err) {
		fprintf(stderr, "krsi_hooks: writing %s: %s\n", log_path, strerror(errno));
		err = -EIO;
	}
	return err ? 1 : 0;
}
