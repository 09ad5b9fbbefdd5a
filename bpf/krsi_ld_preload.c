// SPDX-License-Identifier: GPL-2.0
/*
 * Loader and logger for krsi_ld_preload.bpf.c: loads and attaches the LSM
 * program, prints "attached" on stdout once it is in place, then writes one
 * JSON line per event to the log file until SIGINT or SIGTERM. On exit it
 * drains the ring buffer and prints its totals on stdout (ld_preload_log.h).
 * The ring buffer is opened before the program is attached, so that no exec
 * between the two goes unseen.
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
#include "krsi_ld_preload.h"
#include "krsi_ld_preload.skel.h"

/* bpf_loop()'s bound, as in env_walk.bpf.h. */
#define MAX_STEPS (1ul << 23)

static void usage(FILE *out)
{
	fprintf(out, "usage: krsi_ld_preload [-v] [-s] [-l STEPS] [-b RINGBUF_BYTES] -o LOGFILE\n"
		     "  -o LOGFILE  one JSON line per exec event, and per open or replacement of /etc/ld.so.preload\n"
		     "  -s          log only execs that have LD_PRELOAD set (and those whose environment could not be read to its end)\n"
		     "  -l STEPS    read at most this many chunks of an exec's strings (default: all the kernel allows)\n"
		     "  -b BYTES    ring buffer size, a power of two of at least 4096 (default 1 MiB)\n"
		     "  -v          libbpf debug output\n");
}

int main(int argc, char **argv)
{
	const char *log_path = NULL;
	int only_set = 0, opt, err = 0;
	unsigned long max_steps = 0;
	int bad_steps = 0;
	unsigned long ringbuf_bytes = 1 << 20;
	struct krsi_ld_preload_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	FILE *log = NULL;

	while ((opt = getopt(argc, argv, "vso:b:l:h")) != -1) {
		switch (opt) {
		case 'v': verbose = 1; break;
		case 's': only_set = 1; break;
		case 'l': max_steps = strtoul(optarg, NULL, 0); bad_steps = max_steps == 0 || max_steps > MAX_STEPS; break;
		case 'o': log_path = optarg; break;
		case 'b': ringbuf_bytes = strtoul(optarg, NULL, 0); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!log_path || ringbuf_bytes < 4096 || (ringbuf_bytes & (ringbuf_bytes - 1)) || bad_steps) {
		usage(stderr);
		return 2;
	}
	loader_init();

	log = fopen(log_path, "w");
	if (!log) {
		fprintf(stderr, "krsi_ld_preload: cannot open %s: %s\n", log_path, strerror(errno));
		return 1;
	}
	skel = krsi_ld_preload_bpf__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "krsi_ld_preload: cannot open BPF skeleton: %s\n", strerror(errno));
		goto cleanup;
	}
	skel->rodata->only_set = only_set;
	if (max_steps)
		skel->rodata->max_steps = max_steps;
	bpf_map__set_max_entries(skel->maps.events, ringbuf_bytes);
	err = krsi_ld_preload_bpf__load(skel);
	if (err) {
		fprintf(stderr, "krsi_ld_preload: BPF program failed to load (verifier log above): %s\n", strerror(-err));
		goto cleanup;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, log, NULL);
	if (!rb) {
		err = -errno;
		fprintf(stderr, "krsi_ld_preload: cannot open ring buffer: %s\n", strerror(errno));
		goto cleanup;
	}
	err = krsi_ld_preload_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "krsi_ld_preload: cannot attach its programs (bprm_committed_creds, file_open, inode_rename, inode_link, inode_symlink): %s\n", strerror(-err));
		goto cleanup;
	}
	printf("attached\n");
	fflush(stdout);

	err = poll_until_stopped("krsi_ld_preload", rb);
	if (err)
		goto cleanup;
	print_totals(skel->bss->emitted, skel->bss->dropped, skel->bss->incomplete, skel->bss->filtered, -1);

cleanup:
	ring_buffer__free(rb);
	krsi_ld_preload_bpf__destroy(skel);
	if (log && fclose(log) != 0 && !err) {
		fprintf(stderr, "krsi_ld_preload: writing %s: %s\n", log_path, strerror(errno));
		err = -EIO;
	}
	return err ? 1 : 0;
}
