// SPDX-License-Identifier: GPL-2.0
/*
 * An example of bringing your own instrumentation: an LSM program that, on
 * every exec, counts execs per user in a hash map and sends the pid, uid and
 * file name through a ring buffer. It denies nothing. krsi-bench compiles it
 * against the guest kernel's BTF and measures what it costs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct exec_event {
	__u32 pid;
	__u32 uid;
	char filename[128];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} exec_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} execs_per_uid SEC(".maps");

SEC("lsm/bprm_check_security")
int BPF_PROG(log_exec, struct linux_binprm *bprm)
{
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	__u64 one = 1, *count = bpf_map_lookup_elem(&execs_per_uid, &uid);

	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&execs_per_uid, &uid, &one, BPF_NOEXIST);

	struct exec_event *e = bpf_ringbuf_reserve(&exec_events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->uid = uid;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
