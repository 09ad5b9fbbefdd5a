// SPDX-License-Identifier: GPL-2.0
/*
 * An exec logger that sends, per exec, what audit's execve rule
 * (-a always,exit -F arch=b64 -S execve,execveat) records: the SYSCALL,
 * EXECVE, CWD, PATH and PROCTITLE records' information, plus the last
 * LD_PRELOAD of the new environment, so that the suite compares the two
 * loggers like for like. The layout is in krsi_exec_record.h.
 *
 * Attached to lsm/bprm_committed_creds, as krsi_ld_preload is. There the exec
 * has passed its point of no return (audit would log success=yes exit=0),
 * current runs on the new mm and has the new credentials and comm, and
 * bprm->p is the user address of the argv strings, then the envp strings.
 * The syscall's registers are still the caller's: load_elf_binary sets the
 * new personality (and rewrites orig_ax and TS_COMPAT) only after
 * begin_new_exec, which runs this hook.
 *
 * PATH: item 0 only, the file named to execve: its name (bprm->filename)
 * and the inode of the file being loaded. A dynamic ELF makes audit add item
 * 1, the interpreter, which load_elf_binary opens into a local variable that
 * this hook cannot see; it is not sent. The suite's workload execs a static
 * /bin/nop, for which audit writes item 0 alone. For a script, bprm->file is
 * already its interpreter (the script's own file is closed by then), so
 * inode, dev, mode, ouid, ogid and rdev are the interpreter's where audit's
 * item 0 has the script's.
 *
 * PROCTITLE is the new program's command line: its arguments joined by
 * NULs, which are the argv bytes sent here; the logger can rebuild it from
 * argv, and sends nothing more for it. audit logs the first 128 bytes,
 * trailing unprintable bytes trimmed, and reads them once per task: it keeps
 * them in the task's audit context until the task exits, so a task that
 * execs again (su, then its shell, then the command) logs its first
 * command line again.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "env_walk.bpf.h"
#include "krsi_exec_record.h"

char LICENSE[] SEC("license") = "GPL";

/* include/uapi/linux/audit.h, arch/x86/include/asm/thread_info.h, errno.h: macros, so not in vmlinux.h. */
#define AUDIT_ARCH_X86_64 0xc000003e
#define AUDIT_ARCH_I386 0x40000003
#define TS_COMPAT 0x0002
#define ENAMETOOLONG 36
/* AUDIT_UID_UNSET and AUDIT_SID_UNSET: what audit prints for a task that never logged in. */
#define AUDIT_UNSET 0xffffffffu

/* Set by the loader before load. */
const volatile int only_set = 0;
/* -B: submit without waking the logger until the ring buffer holds wakeup_bytes. */
const volatile int batched = 0;
const volatile __u64 wakeup_bytes = 64 << 10;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} rb SEC(".maps");

/* Execs not sent because only_set was on and their environment had no LD_PRELOAD. */
__u64 filtered = 0;
/* Execs sent without all of their argv, filename, exe or cwd (flagged XR_*_CUT). */
__u64 cut = 0;

/* task_struct's audit fields, which exist only in kernels built with CONFIG_AUDIT. */
struct task_struct___audit {
	kuid_t loginuid;
	unsigned int sessionid;
} __attribute__((preserve_access_index));

/* The walk of env_walk.bpf.h, and where it passed the end of the argv strings. */
struct scan {
	struct walk w; /* first: RUN_WALK hands &w to scan_step, which is the scan's address */
	unsigned long args_end;
};

ENV_WALK_STEP(walk_step, bpf_probe_read_user_str)

static long scan_step(__u64 i, void *ctx)
{
	struct scan *s = ctx;
	long stop = walk_step(i, &s->w);

	if (!s->args_end && s->w.index >= s->w.argc)
		s->args_end = s->w.p;
	return stop;
}

/* What the exec's xr_more records share, and the argv bytes still to send. */
struct more {
	unsigned long p, end;
	__u64 ktime_ns;
	__u32 pid;
	__u32 offset;
	__u32 sent;
	__u32 args_cut;
	__u32 path_cut;
};

/*
 * An xr_more is never read before its exec's xr_exec, which is submitted
 * after it: waking the logger for it would be a wake-up for nothing.
 */
static __always_inline struct xr_more *reserve_more(struct more *m, unsigned int field)
{
	struct xr_more *r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);

	if (!r)
		return NULL;
	r->kind = XR_MORE;
	r->pid = m->pid;
	r->ktime_ns = m->ktime_ns;
	r->field = field;
	r->offset = 0;
	r->len = 0;
	r->err = 0;
	return r;
}

static long args_step(__u64 i, void *ctx)
{
	struct more *m = ctx;

	if (m->p >= m->end)
		return 1;
	struct xr_more *r = reserve_more(m, XR_FIELD_ARGV);
	if (!r) {
		m->args_cut = 1;
		return 1;
	}
	__u64 n = m->end - m->p;
	if (n > XR_ARGS_CHUNK)
		n = XR_ARGS_CHUNK;
	if (bpf_probe_read_user(r->data, n, (const void *)m->p)) {
		bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
		m->args_cut = 1;
		return 1;
	}
	r->offset = m->offset;
	r->len = n;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	m->sent++;
	m->p += n;
	m->offset += n;
	return 0;
}

/*
 * argv bytes from start to end: the first XR_ARGS_INLINE in the xr_exec, the
 * rest in xr_more records. audit logs every argument whatever its length
 * (kernel/auditsc.c audit_log_execve_info), so nothing is left out but what
 * the ring buffer refuses, which is flagged.
 */
static __always_inline void send_args(struct xr_exec *e, struct more *m, unsigned long start, unsigned long end)
{
	__u64 len = end - start;
	__u64 n = len;

	if (n > XR_ARGS_INLINE)
		n = XR_ARGS_INLINE;
	e->args_len = len;
	e->args_inline = 0;
	if (n && bpf_probe_read_user(e->args, n, (const void *)start)) {
		m->args_cut = 1;
		return;
	}
	e->args_inline = n;
	m->p = start + n;
	m->end = end;
	m->offset = n;
	if (m->p < m->end) {
		__u64 loops = (m->end - m->p + XR_ARGS_CHUNK - 1) / XR_ARGS_CHUNK;
		bpf_loop(loops < MAX_STEPS ? loops : MAX_STEPS, args_step, m, 0);
		if (m->p < m->end)
			m->args_cut = 1;
	}
}

/* A kernel string that fills its field may go on: it does if the byte the field's NUL stands for is not its end. */
static __always_inline int kernel_str_cut(const char *s, long n, long size)
{
	char last = 0;

	return n == size && !bpf_probe_read_kernel(&last, 1, s + size - 1) && last;
}

/* bprm->filename: the name as passed to execve, audit's PATH item 0 name (at most PATH_MAX with its NUL). */
static __always_inline void send_filename(struct xr_exec *e, struct more *m, const char *filename)
{
	long n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), filename);

	if (n < 0) {
		e->filename[0] = '\0';
		e->flags |= XR_FILENAME_CUT;
		return;
	}
	if (!kernel_str_cut(filename, n, sizeof(e->filename)))
		return;
	struct xr_more *r = reserve_more(m, XR_FIELD_FILENAME);
	if (!r) {
		e->flags |= XR_FILENAME_CUT;
		return;
	}
	n = bpf_probe_read_kernel_str(r->data, sizeof(r->data), filename);
	if (n < 0) {
		bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
		e->flags |= XR_FILENAME_CUT;
		return;
	}
	r->len = n;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	e->flags |= XR_FILENAME_MORE;
	m->sent++;
}

/*
 * A path resolved as audit resolves it (d_path, " (deleted)" and all): into
 * the xr_exec's field, or when too long for it into an xr_more of audit's
 * own buffer size; longer even than that, audit logs "<too_long>", and so
 * does the logger (the xr_more carries the error).
 */
static __always_inline void send_path(struct more *m, struct path *path, char *field, int *len, unsigned int kind)
{
	long n = bpf_d_path(path, field, XR_PATH_INLINE);

	*len = n;
	if (n >= 0)
		return;
	if (n != -ENAMETOOLONG) {
		m->path_cut = 1;
		return;
	}
	struct xr_more *r = reserve_more(m, kind);
	if (!r) {
		m->path_cut = 1;
		return;
	}
	n = bpf_d_path(path, r->data, sizeof(r->data));
	if (n < 0)
		r->err = n;
	else
		r->len = n;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	m->sent++;
}

/* SYSCALL's identity fields, as audit_log_task_info and audit_log_exit take them. */
static __always_inline void fill_task(struct xr_exec *e, struct task_struct *task)
{
	struct task_struct___audit *audit = (void *)task;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	const struct cred *cred = task->cred;
	struct tty_struct *tty = task->signal->tty;

	/* syscall_get_arch(): TS_COMPAT marks a 32-bit syscall, which an i386 program's execve is. */
	if (task->thread_info.status & TS_COMPAT) {
		e->arch = AUDIT_ARCH_I386;
		e->a[0] = regs->bx;
		e->a[1] = regs->cx;
		e->a[2] = regs->dx;
		e->a[3] = regs->si;
	} else {
		e->arch = AUDIT_ARCH_X86_64;
		e->a[0] = regs->di;
		e->a[1] = regs->si;
		e->a[2] = regs->dx;
		e->a[3] = regs->r10;
	}
	e->syscall = regs->orig_ax;
	e->ppid = task->real_parent->tgid;
	if (cred) {
		e->uid = cred->uid.val;
		e->gid = cred->gid.val;
		e->euid = cred->euid.val;
		e->suid = cred->suid.val;
		e->fsuid = cred->fsuid.val;
		e->egid = cred->egid.val;
		e->sgid = cred->sgid.val;
		e->fsgid = cred->fsgid.val;
	} else {
		e->uid = e->gid = e->euid = e->suid = e->fsuid = e->egid = e->sgid = e->fsgid = AUDIT_UNSET;
	}
	if (bpf_core_field_exists(audit->loginuid)) {
		e->auid = BPF_CORE_READ(audit, loginuid.val);
		e->ses = BPF_CORE_READ(audit, sessionid);
	} else {
		e->auid = e->ses = AUDIT_UNSET;
	}
	e->tty[0] = '\0';
	if (tty && bpf_probe_read_kernel_str(e->tty, sizeof(e->tty), tty->name) > 0)
		e->flags |= XR_HAS_TTY;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

/* PATH item 0's inode fields (audit_copy_inode). */
static __always_inline void fill_inode(struct xr_exec *e, struct linux_binprm *bprm)
{
	/* A binfmt_misc entry with the O flag loads an interpreter and keeps the file named in bprm->executable. */
	struct file *file = bprm->executable;
	if (!file)
		file = bprm->file;
	struct inode *inode = file->f_inode;

	e->inode = inode->i_ino;
	e->dev = inode->i_sb->s_dev;
	e->mode = inode->i_mode;
	e->ouid = inode->i_uid.val;
	e->ogid = inode->i_gid.val;
	e->rdev = inode->i_rdev;
}

/* The last LD_PRELOAD value the walk found, as fill_event in env_walk.bpf.h reads it. */
static __always_inline void fill_ld_preload(struct xr_exec *e, const struct walk *w)
{
	char last = 0;

	e->preloads = w->preloads;
	e->ld_preload[0] = '\0';
	if (walk_incomplete(w))
		e->flags |= XR_ENV_INCOMPLETE;
	if (!w->value_at)
		return;
	e->flags |= XR_LD_PRELOAD_SET;
	if (bpf_probe_read_user_str(e->ld_preload, sizeof(e->ld_preload), (const void *)w->value_at) == sizeof(e->ld_preload) &&
	    !bpf_probe_read_user(&last, 1, (const void *)(w->value_at + sizeof(e->ld_preload) - 1)) && last)
		e->flags |= XR_VALUE_TRUNCATED;
}

/* Unbatched: wake the logger if it is waiting for this record. Batched: only once wakeup_bytes are waiting. */
static __always_inline __u64 wakeup(void)
{
	if (!batched)
		return 0;
	return bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

SEC("lsm/bprm_committed_creds")
int BPF_PROG(record_exec, struct linux_binprm *bprm)
{
	__u64 now = bpf_ktime_get_ns();
	struct scan s = { .w = walk_of_bprm(bprm) };
	unsigned long start = s.w.p;

	/* Never 0 on 6.12 (an empty argv gets "" as argv[0]), but then argv ends where it starts. */
	if (!s.w.argc)
		s.args_end = start;
	RUN_WALK(s.w, scan_step);
	/* A walk that did not reach the end may have missed LD_PRELOAD: it is sent, flagged, never filtered out. */
	if (only_set && !s.w.value_at && !walk_incomplete(&s.w)) {
		__sync_fetch_and_add(&filtered, 1);
		return 0;
	}

	__sync_fetch_and_add(&emitted, 1);
	struct xr_exec *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}
	struct task_struct *task = bpf_get_current_task_btf();
	struct more m = {
		.pid = bpf_get_current_pid_tgid() >> 32,
		.ktime_ns = now,
	};

	e->kind = XR_EXEC;
	e->pid = m.pid;
	e->ktime_ns = now;
	e->flags = 0;
	e->pad = 0;
	e->argc = s.w.argc;
	fill_task(e, task);
	fill_inode(e, bprm);
	fill_ld_preload(e, &s.w);
	send_filename(e, &m, BPF_CORE_READ(bprm, filename));
	/* audit's exe is mm->exe_file, which begin_new_exec has set to bprm->file. */
	send_path(&m, &bprm->file->f_path, e->exe, &e->exe_len, XR_FIELD_EXE);
	struct fs_struct *fs = task->fs;
	if (fs) {
		send_path(&m, &fs->pwd, e->cwd, &e->cwd_len, XR_FIELD_CWD);
	} else {
		e->cwd[0] = '\0';
		e->cwd_len = -1;
		m.path_cut = 1;
	}
	/* Where the walk stopped inside argv, what it read of argv is sent. */
	if (!s.args_end)
		m.args_cut = 1;
	send_args(e, &m, start, s.args_end ? s.args_end : s.w.p);

	if (m.args_cut)
		e->flags |= XR_ARGS_CUT;
	if (m.path_cut)
		e->flags |= XR_PATH_CUT;
	if (e->flags & (XR_ARGS_CUT | XR_FILENAME_CUT | XR_PATH_CUT))
		__sync_fetch_and_add(&cut, 1);
	e->more = m.sent;
	bpf_ringbuf_submit(e, wakeup());
	return 0;
}
