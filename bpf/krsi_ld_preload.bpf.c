// SPDX-License-Identifier: GPL-2.0
/*
 * KRSI's case study from LSS 2019: log LD_PRELOAD on every exec.
 *
 * Attached to the bprm_committed_creds LSM hook. There the exec'ing task
 * already runs on the new mm, and bprm->p is the user address of the new
 * program's argv strings followed by its envp strings. The program walks
 * them (env_walk.bpf.h) and sends pid, comm, filename and the value of
 * LD_PRELOAD (or found=0) through a ring buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "env_walk.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load: send events only for execs that have LD_PRELOAD. */
const volatile int only_set = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* Events that did not fit in the ring buffer. */
__u64 dropped = 0;

ENV_WALK_STEP(walk_step, bpf_probe_read_user_str)

SEC("lsm/bprm_committed_creds")
int BPF_PROG(log_ld_preload, struct linux_binprm *bprm)
{
	__u32 zero = 0;
	struct walk w = walk_of_bprm(bprm, bpf_map_lookup_elem(&scratch, &zero));

	bpf_loop(MAX_STEPS, walk_step, &w, 0);
	if (only_set && !w.value_at)
		return 0;

	struct krsi_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}
	fill_event(e, &w, BPF_CORE_READ(bprm, filename));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
