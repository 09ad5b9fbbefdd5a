// SPDX-License-Identifier: GPL-2.0
/*
 * The talk's krsi_get_env_vars: send the whole environment of every exec to
 * user space. Attached where krsi_ld_preload is (lsm/bprm_committed_creds,
 * see env_walk.bpf.h for where the strings lie), it skips the argv strings
 * and sends a header and then each environment variable, in chunks of
 * KRSI_ENV_CHUNK bytes read straight into the ring buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "krsi_env_vars.h"

char LICENSE[] SEC("license") = "GPL";

/* 32 pages of environment per exec, and a logger that may lag a few execs behind. */
#define MAX_STEPS (32 * 4096 / (KRSI_ENV_CHUNK - 1) + 4096)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[KRSI_ENV_CHUNK]);
} scratch SEC(".maps");

/* Records that did not fit in the ring buffer. */
__u64 dropped = 0;

struct send {
	unsigned long p;
	unsigned int index;   /* string: argv first, then envp */
	unsigned int argc;
	unsigned int total;
	unsigned int pid;
	char *spare;          /* read into when the ring buffer is full, to find the string's end */
};

static long send_step(__u64 i, void *ctx)
{
	struct send *s = ctx;
	long n;

	if (s->index >= s->total || !s->spare)
		return 1;
	if (s->index < s->argc) {
		/* An argv string: only its length matters. */
		n = bpf_probe_read_user_str(s->spare, KRSI_ENV_CHUNK, (const void *)s->p);
	} else {
		struct krsi_env_data *d = bpf_ringbuf_reserve(&events, sizeof(*d), 0);
		if (!d) {
			__sync_fetch_and_add(&dropped, 1);
			n = bpf_probe_read_user_str(s->spare, KRSI_ENV_CHUNK, (const void *)s->p);
		} else {
			n = bpf_probe_read_user_str(d->data, KRSI_ENV_CHUNK, (const void *)s->p);
			/* 0 for an empty string on 6.12 (see env_walk.bpf.h): its NUL. */
			if (n == 0)
				n = 1;
			d->kind = KRSI_ENV_DATA;
			d->pid = s->pid;
			d->index = s->index - s->argc;
			d->failed = n <= 0;
			d->more = n == KRSI_ENV_CHUNK;
			d->len = n <= 0 ? 0 : d->more ? KRSI_ENV_CHUNK - 1 : n - 1;
			bpf_ringbuf_submit(d, 0);
		}
	}
	if (n == 0)
		n = 1;
	if (n < 0)
		return 1;
	/* A full chunk: go on from its last copied byte (see env_walk.bpf.h). */
	if (n == KRSI_ENV_CHUNK) {
		s->p += KRSI_ENV_CHUNK - 1;
	} else {
		s->p += n;
		s->index++;
	}
	return 0;
}

SEC("lsm/bprm_committed_creds")
int BPF_PROG(send_env_vars, struct linux_binprm *bprm)
{
	__u32 zero = 0;
	struct send s = {
		.p = BPF_CORE_READ(bprm, p),
		.argc = BPF_CORE_READ(bprm, argc),
		.pid = bpf_get_current_pid_tgid() >> 32,
		.spare = bpf_map_lookup_elem(&scratch, &zero),
	};
	s.total = s.argc + BPF_CORE_READ(bprm, envc);

	struct krsi_env_header *h = bpf_ringbuf_reserve(&events, sizeof(*h), 0);
	if (!h) {
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}
	const char *filename = BPF_CORE_READ(bprm, filename);
	char last = 0;
	h->kind = KRSI_ENV_HEADER;
	h->pid = s.pid;
	h->envc = s.total - s.argc;
	h->filename_truncated = 0;
	if (bpf_probe_read_kernel_str(h->filename, sizeof(h->filename), filename) == sizeof(h->filename) &&
	    !bpf_probe_read_kernel(&last, 1, filename + sizeof(h->filename) - 1))
		h->filename_truncated = last != 0;
	bpf_ringbuf_submit(h, 0);

	bpf_loop(MAX_STEPS, send_step, &s, 0);
	return 0;
}
