// SPDX-License-Identifier: GPL-2.0
/*
 * Loader and logger for krsi_ld_preload.bpf.c: loads and attaches the LSM
 * program, prints "attached" on stdout once it is in place, then writes one
 * JSON line per exec event to the log file until SIGINT or SIGTERM. On exit it
 * drains the ring buffer and prints {"events":N,"dropped":M} on stdout.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "loader.h"
#include "krsi_ld_preload.h"
#include "krsi_ld_preload.skel.h"

static unsigned long long events_logged;

/* Writes s as a JSON string, escaping what JSON requires. */
static void json_string(FILE *out, const char *s, size_t max)
{
	fputc('"', out);
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static int on_event(void *ctx, void *data, size_t size)
{
	FILE *out = ctx;
	const struct krsi_event *e = data;

	if (size < sizeof(*e))
		return 0;
	fprintf(out, "{\"pid\":%u,\"comm\":", e->pid);
	json_string(out, e->comm, sizeof(e->comm));
	fputs(",\"filename\":", out);
	json_string(out, e->filename, sizeof(e->filename));
	fputs(",\"ld_preload\":", out);
	if (e->found)
		json_string(out, e->value, sizeof(e->value));
	else
		fputs("\"unset\"", out);
	fprintf(out, ",\"set\":%s,\"truncated\":%s,\"value_truncated\":%s,\"filename_truncated\":%s}\n", e->found ? "true" : "false",
		e->truncated ? "true" : "false", e->value_truncated ? "true" : "false", e->filename_truncated ? "true" : "false");
	events_logged++;
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: krsi_ld_preload [-v] [-s] [-b RINGBUF_BYTES] -o LOGFILE\n"
		     "  -o LOGFILE  one JSON line per exec event\n"
		     "  -s          log only execs that have LD_PRELOAD set\n"
		     "  -b BYTES    ring buffer size, a power of two of at least 4096 (default 1 MiB)\n"
		     "  -v          libbpf debug output\n");
}

int main(int argc, char **argv)
{
	const char *log_path = NULL;
	int only_set = 0, opt, err = 0;
	unsigned long ringbuf_bytes = 1 << 20;
	struct krsi_ld_preload_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	FILE *log = NULL;

	while ((opt = getopt(argc, argv, "vso:b:h")) != -1) {
		switch (opt) {
		case 'v': verbose = 1; break;
		case 's': only_set = 1; break;
		case 'o': log_path = optarg; break;
		case 'b': ringbuf_bytes = strtoul(optarg, NULL, 0); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!log_path || ringbuf_bytes < 4096 || (ringbuf_bytes & (ringbuf_bytes - 1))) {
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
	bpf_map__set_max_entries(skel->maps.events, ringbuf_bytes);
	err = krsi_ld_preload_bpf__load(skel);
	if (err) {
		fprintf(stderr, "krsi_ld_preload: BPF program failed to load (verifier log above): %s\n", strerror(-err));
		goto cleanup;
	}
	err = krsi_ld_preload_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "krsi_ld_preload: cannot attach to bprm_committed_creds: %s\n", strerror(-err));
		goto cleanup;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, log, NULL);
	if (!rb) {
		err = -errno;
		fprintf(stderr, "krsi_ld_preload: cannot open ring buffer: %s\n", strerror(errno));
		goto cleanup;
	}
	printf("attached\n");
	fflush(stdout);

	while (!stopping) {
		err = ring_buffer__poll(rb, 200);
		if (err == -EINTR) {
			err = 0;
			break;
		}
		if (err < 0) {
			fprintf(stderr, "krsi_ld_preload: polling the ring buffer: %s\n", strerror(-err));
			goto cleanup;
		}
		err = 0;
	}
	/* Events submitted before the signal are still in the ring buffer. */
	ring_buffer__consume(rb);
	printf("{\"events\":%llu,\"dropped\":%llu}\n", events_logged, (unsigned long long)skel->bss->dropped);

cleanup:
	ring_buffer__free(rb);
	krsi_ld_preload_bpf__destroy(skel);
	if (log && fclose(log) != 0 && !err) {
		fprintf(stderr, "krsi_ld_preload: writing %s: %s\n", log_path, strerror(errno));
		err = -EIO;
	}
	return err ? 1 : 0;
}
