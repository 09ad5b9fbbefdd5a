// SPDX-License-Identifier: GPL-2.0
/*
 * KRSI's case study from LSS 2019: log LD_PRELOAD on every exec.
 *
 * Attached to the bprm_committed_creds LSM hook. There the exec'ing task
 * already runs on the new mm, and bprm->p is the user address of the new
 * program's argv strings followed by its envp strings. The program walks
 * them (env_walk.bpf.h) and sends pid, comm, filename and the value of the
 * last LD_PRELOAD (or found=0) through a ring buffer.
 *
 * The loader's other source of preloads is /etc/ld.so.preload, which
 * glibc's ld.so reads on every dynamic exec: opening it for reading (ld.so
 * about to preload what it lists) and writing it, or renaming, linking or
 * symlinking another file onto it, are sent as events of their own.
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

/* Execs not sent because only_set was on and their environment had no LD_PRELOAD. */
__u64 filtered = 0;

ENV_WALK_STEP(walk_step, bpf_probe_read_user_str)

static __always_inline struct krsi_event *reserve_event(void)
{
	__sync_fetch_and_add(&emitted, 1);
	struct krsi_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		__sync_fetch_and_add(&dropped, 1);
	return e;
}

SEC("lsm/bprm_committed_creds")
int BPF_PROG(log_ld_preload, struct linux_binprm *bprm)
{
	struct walk w = walk_of_bprm(bprm);

	RUN_WALK(w, walk_step);
	/* A walk that did not reach the end may have missed LD_PRELOAD: it is sent, flagged, never filtered out. */
	if (only_set && !w.value_at && !walk_incomplete(&w)) {
		__sync_fetch_and_add(&filtered, 1);
		return 0;
	}
	struct krsi_event *e = reserve_event();
	if (!e)
		return 0;
	fill_event(e, &w, BPF_CORE_READ(bprm, filename));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

#define PRELOAD_NAME "ld.so.preload"
/* include/linux/fs.h: a macro, so not in vmlinux.h. */
#define FMODE_WRITE 0x2

static __always_inline int name_is(struct dentry *d, const char *want, int len)
{
	char name[16] = {};
	if (bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(d, d_name.name)) != len + 1)
		return 0;
	for (int i = 0; i < len && i < sizeof(name); i++)
		if (name[i] != want[i])
			return 0;
	return 1;
}

/*
 * Whether d is etc/ld.so.preload at the root of its file system. In a chroot
 * or a container that is the file its programs' loader reads, so it is the
 * one to watch there too.
 */
static __always_inline int is_preload_file(struct dentry *d)
{
	if (!name_is(d, PRELOAD_NAME, sizeof(PRELOAD_NAME) - 1))
		return 0;
	struct dentry *etc = BPF_CORE_READ(d, d_parent);
	struct dentry *root = BPF_CORE_READ(etc, d_parent);
	return etc != d && name_is(etc, "etc", 3) && BPF_CORE_READ(root, d_parent) == root;
}

static __always_inline int send_preload(unsigned int kind)
{
	struct krsi_event *e = reserve_event();
	if (!e)
		return 0;
	e->kind = kind;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->found = e->preloads = e->truncated = e->value_truncated = e->filename_truncated = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	__builtin_memcpy(e->filename, "/etc/" PRELOAD_NAME, sizeof("/etc/" PRELOAD_NAME));
	e->value[0] = '\0';
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("lsm/file_open")
int BPF_PROG(watch_preload_open, struct file *file)
{
	if (!is_preload_file(BPF_CORE_READ(file, f_path.dentry)))
		return 0;
	return send_preload(BPF_CORE_READ(file, f_mode) & FMODE_WRITE ? KRSI_EVENT_PRELOAD_WRITE : KRSI_EVENT_PRELOAD_READ);
}

SEC("lsm/inode_rename")
int BPF_PROG(watch_preload_rename, struct inode *old_dir, struct dentry *old_dentry, struct inode *new_dir, struct dentry *new_dentry)
{
	return is_preload_file(new_dentry) ? send_preload(KRSI_EVENT_PRELOAD_WRITE) : 0;
}

SEC("lsm/inode_link")
int BPF_PROG(watch_preload_link, struct dentry *old_dentry, struct inode *dir, struct dentry *new_dentry)
{
	return is_preload_file(new_dentry) ? send_preload(KRSI_EVENT_PRELOAD_WRITE) : 0;
}

SEC("lsm/inode_symlink")
int BPF_PROG(watch_preload_symlink, struct inode *dir, struct dentry *dentry, const char *old_name)
{
	return is_preload_file(dentry) ? send_preload(KRSI_EVENT_PRELOAD_WRITE) : 0;
}
