// SPDX-License-Identifier: GPL-2.0
/*
 * KRSI's case study from LSS 2019: log LD_PRELOAD on every exec.
 *
 * Attached to the bprm_committed_creds LSM hook. There the exec'ing task
 * already runs on the new mm, and bprm->p is the user address of the new
 * program's argv strings followed by its envp strings (bprm->argc and
 * bprm->envc of them, each NUL-terminated, back to back). The program walks
 * them in CHUNK-sized reads and sends pid, comm, filename and the value of
 * LD_PRELOAD (or found=0) through a ring buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "krsi_ld_preload.h"

char LICENSE[] SEC("license") = "GPL";

#define CHUNK 256
#define PREFIX "LD_PRELOAD="
#define PREFIX_LEN (sizeof(PREFIX) - 1)
/* An environment may hold 32 pages of strings (MAX_ARG_STRLEN each); this bounds the walk. */
#define MAX_STEPS (32 * 4096 / (CHUNK - 1) + 4096)

/* Set by the loader before load: send events only for execs that have LD_PRELOAD. */
const volatile int only_set = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[CHUNK]);
} scratch SEC(".maps");

/* Events that did not fit in the ring buffer. */
__u64 dropped = 0;

/*
 * State of the walk over the strings. bpf_loop() on 6.12 wants its context on
 * the stack (a map value is refused), so this lives on the stack and points at
 * the per-CPU scratch buffer.
 */
struct walk {
	char *buf;
	unsigned long p;
	unsigned int index;   /* string being read: argv first, then envp */
	unsigned int argc;
	unsigned int total;   /* argc + envc */
	unsigned int mid;     /* 1 while inside a string longer than one chunk */
	unsigned long value_at;
	int failed;
};

static int has_prefix(const char *buf)
{
	const char prefix[] = PREFIX;
	for (int i = 0; i < PREFIX_LEN; i++)
		if (buf[i] != prefix[i])
			return 0;
	return 1;
}

static long walk_step(__u64 i, void *ctx)
{
	struct walk *w = ctx;
	char *buf = w->buf;

	if (!buf || w->index >= w->total)
		return 1;
	long n = bpf_probe_read_user_str(buf, CHUNK, (const void *)w->p);
	if (n <= 0) {
		w->failed = 1;
		return 1;
	}
	if (!w->mid && w->index >= w->argc && n > PREFIX_LEN && has_prefix(buf)) {
		w->value_at = w->p + PREFIX_LEN;
		return 1;
	}
	/*
	 * n == CHUNK means the chunk filled up: the string is longer (or exactly
	 * CHUNK - 1 long). Go on from its last copied byte; reading the NUL there
	 * next gives n == 1 and ends the string either way.
	 */
	if (n == CHUNK) {
		w->p += CHUNK - 1;
		w->mid = 1;
	} else {
		w->p += n;
		w->mid = 0;
		w->index++;
	}
	return 0;
}

SEC("lsm/bprm_committed_creds")
int BPF_PROG(log_ld_preload, struct linux_binprm *bprm)
{
	__u32 zero = 0;
	struct walk w = {
		.buf = bpf_map_lookup_elem(&scratch, &zero),
		.p = BPF_CORE_READ(bprm, p),
		.argc = BPF_CORE_READ(bprm, argc),
	};
	w.total = w.argc + BPF_CORE_READ(bprm, envc);

	bpf_loop(MAX_STEPS, walk_step, &w, 0);
	if (only_set && !w.value_at)
		return 0;

	struct krsi_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}

	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->found = w.value_at != 0;
	e->truncated = w.failed || (!w.value_at && w.index < w.total);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	/*
	 * A string that fills its field may have been cut: it was if the byte
	 * that the field's last one (the NUL written by the helper) stands for is
	 * not the string's end.
	 */
	const char *filename = BPF_CORE_READ(bprm, filename);
	char last = 0;
	e->filename_truncated = 0;
	if (bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), filename) == sizeof(e->filename) &&
	    !bpf_probe_read_kernel(&last, 1, filename + sizeof(e->filename) - 1))
		e->filename_truncated = last != 0;
	e->value[0] = '\0';
	e->value_truncated = 0;
	if (w.value_at &&
	    bpf_probe_read_user_str(e->value, sizeof(e->value), (const void *)w.value_at) == sizeof(e->value) &&
	    !bpf_probe_read_user(&last, 1, (const void *)(w.value_at + sizeof(e->value) - 1)))
		e->value_truncated = last != 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
