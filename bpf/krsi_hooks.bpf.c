// SPDX-License-Identifier: GPL-2.0
/*
 * The LD_PRELOAD scan of krsi_ld_preload.bpf.c, from the places the LSS 2019
 * talk weighed against an LSM hook, and through the other event channel.
 * The loader keeps one program and drops the others before load:
 *
 *   perfbuf     lsm/bprm_committed_creds, events through a perf event array
 *   sleepable   lsm.s/bprm_committed_creds, reading with bpf_copy_from_user_str
 *   kprobe      kprobe on security_bprm_committed_creds (the LSM hook's caller)
 *   fentry      fentry on security_bprm_committed_creds
 *   tp_btf      tp_btf/sched_process_exec, the environment from current->mm
 *   tracepoint  tracepoint/sched/sched_process_exec, the same
 *
 * All but perfbuf send through the ring buffer, as krsi_ld_preload does.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "env_walk.bpf.h"
#include "krsi_hooks.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf_events SEC(".maps");

/*
 * The perf buffer's event is built here: it is too large for the stack. Only
 * the non-sleepable perfbuf program uses it, and the guests' kernels do not
 * preempt in kernel mode, so nothing else runs on this CPU until it is sent.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct krsi_event);
} perf_scratch SEC(".maps");

extern int bpf_copy_from_user_str(void *dst, __u32 dst__sz, const void *unsafe_ptr__ign, __u64 flags) __ksym;

#define copy_str(dst, size, src) bpf_copy_from_user_str(dst, size, src, 0)

ENV_WALK_STEP(walk_step, bpf_probe_read_user_str)
ENV_WALK_STEP(walk_step_sleepable, copy_str)

static __always_inline int send_ringbuf(const struct walk *w, const char *filename)
{
	__sync_fetch_and_add(&emitted, 1);
	struct krsi_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}
	fill_event(e, w, filename);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

static __always_inline int scan_bprm(struct linux_binprm *bprm)
{
	struct walk w = walk_of_bprm(bprm);
	RUN_WALK(w, walk_step);
	return send_ringbuf(&w, BPF_CORE_READ(bprm, filename));
}

static __always_inline int scan_mm(struct task_struct *task, const char *filename)
{
	struct walk w = walk_of_mm(BPF_CORE_READ(task, mm));
	RUN_WALK(w, walk_step);
	return send_ringbuf(&w, filename);
}

SEC("lsm/bprm_committed_creds")
int BPF_PROG(perfbuf, struct linux_binprm *bprm)
{
	__u32 zero = 0;
	struct walk w = walk_of_bprm(bprm);
	struct krsi_event *e = bpf_map_lookup_elem(&perf_scratch, &zero);

	RUN_WALK(w, walk_step);
	if (!e)
		return 0;
	fill_event(e, &w, BPF_CORE_READ(bprm, filename));
	__sync_fetch_and_add(&emitted, 1);
	/* Fails with ENOSPC when this CPU's ring is full, and the kernel also reports that as PERF_RECORD_LOST. */
	if (bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, e, sizeof(*e)))
		__sync_fetch_and_add(&dropped, 1);
	return 0;
}

SEC("lsm.s/bprm_committed_creds")
int BPF_PROG(sleepable, struct linux_binprm *bprm)
{
	struct walk w = walk_of_bprm(bprm);
	RUN_WALK(w, walk_step_sleepable);
	return send_ringbuf(&w, BPF_CORE_READ(bprm, filename));
}

SEC("kprobe/security_bprm_committed_creds")
int BPF_KPROBE(kprobe, struct linux_binprm *bprm)
{
	return scan_bprm(bprm);
}

SEC("fentry/security_bprm_committed_creds")
int BPF_PROG(fentry, struct linux_binprm *bprm)
{
	return scan_bprm(bprm);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(tp_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return scan_mm(p, BPF_CORE_READ(bprm, filename));
}

SEC("tracepoint/sched/sched_process_exec")
int tracepoint(struct trace_event_raw_sched_process_exec *ctx)
{
	/* The filename is the event's dynamic string: its offset in the low 16 bits of __data_loc. */
	const char *filename = (const char *)ctx + (ctx->__data_loc_filename & 0xFFFF);
	return scan_mm((struct task_struct *)bpf_get_current_task(), filename);
}
