/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The LD_PRELOAD scan that every KRSI-style program here shares, whatever
 * hook runs it: a walk over the exec'd program's argv and envp strings in
 * user memory, in CHUNK-sized reads, that finds the last LD_PRELOAD=, and the
 * event (krsi_ld_preload.h) filled from what it found.
 *
 * The strings lie back to back, each NUL-terminated: argc argv strings, then
 * the environment. A hook that has the linux_binprm (an LSM hook, or a probe
 * on security_bprm_committed_creds) starts at bprm->p and knows argc and
 * envc; one that runs after the ELF loader (the sched_process_exec
 * tracepoints) starts at mm->env_start and stops at mm->env_end.
 */
#ifndef KRSI_ENV_WALK_BPF_H
#define KRSI_ENV_WALK_BPF_H

#include "krsi_ld_preload.h"

#define CHUNK 256
#define PREFIX "LD_PRELOAD="
#define PREFIX_LEN (sizeof(PREFIX) - 1)
/*
 * bpf_loop()'s own bound (BPF_MAX_LOOPS). The strings of one exec fit in a
 * quarter of the stack limit and never in more than 6 MiB (fs/exec.c), so
 * even an environment of 6 million empty strings is read to its end: an
 * exec'ing program can make its own exec's walk long, never cut it short. A
 * loader may set a lower bound (max_steps); a walk that reaches it is sent
 * flagged, and counted in `incomplete`.
 */
#define MAX_STEPS (1 << 23)

const volatile unsigned int max_steps = MAX_STEPS;

/* Walks that ended before the environment's end: a string that could not be read, or max_steps. */
__u64 incomplete = 0;
/*
 * Events a program tried to send, and those its channel refused: every one is
 * either logged by the loader or counted in dropped, once, which the guest
 * checks (emitted == logged + dropped).
 */
__u64 emitted = 0;
__u64 dropped = 0;

/*
 * State of the walk over the strings. bpf_loop() on 6.12 wants its context on
 * the stack (a map value is refused). Each step reads its chunk into its own
 * stack frame: a buffer shared per CPU could be overwritten by another exec on
 * that CPU while a sleepable program waits in a fault, or while a preemptible
 * kernel runs another task in the middle of a walk.
 */
struct walk {
	unsigned long p;
	unsigned long end;    /* the strings' end, or 0 when counted by total */
	unsigned int index;   /* string being read: argv first, then envp */
	unsigned int argc;
	unsigned int total;   /* argc + envc */
	unsigned int mid;     /* 1 while inside a string longer than one chunk */
	unsigned int preloads; /* LD_PRELOAD= strings seen */
	unsigned long value_at; /* the last one's value: the dynamic loader takes the last */
	int failed;
};

static __always_inline int has_prefix(const char *buf)
{
	const char prefix[] = PREFIX;
	for (int i = 0; i < PREFIX_LEN; i++)
		if (buf[i] != prefix[i])
			return 0;
	return 1;
}

/*
 * One bpf_loop() step, with READ_STR(dst, size, user_ptr) reading one chunk:
 * bpf_probe_read_user_str, or bpf_copy_from_user_str in a sleepable program.
 * Both return the bytes copied with the NUL, CHUNK when the chunk filled up.
 * The walk goes on past LD_PRELOAD= to the environment's end: glibc's loader
 * takes the last LD_PRELOAD, so stopping at the first would log a decoy.
 */
#define ENV_WALK_STEP(name, READ_STR)                                                  \
static long name(__u64 i, void *ctx)                                                   \
{                                                                                      \
	struct walk *w = ctx;                                                          \
	char buf[CHUNK];                                                               \
                                                                                       \
	if (w->index >= w->total || (w->end && w->p >= w->end))                        \
		return 1;                                                              \
	long n = READ_STR(buf, CHUNK, (const void *)w->p);                             \
	/* bpf_probe_read_user_str returns 0 for an empty string on 6.12 */           \
	/* (strncpy_from_user_nofault counts the NUL only after a non-empty one): */  \
	/* a NUL here ends the string, it is no failed read. */                        \
	if (n == 0)                                                                    \
		n = 1;                                                                 \
	if (n < 0) {                                                                   \
		w->failed = 1;                                                         \
		return 1;                                                              \
	}                                                                              \
	if (!w->mid && w->index >= w->argc && n > PREFIX_LEN && has_prefix(buf)) {     \
		w->value_at = w->p + PREFIX_LEN;                                       \
		w->preloads++;                                                         \
	}                                                                              \
	/* A full chunk: the string goes on (or is exactly CHUNK - 1 long); reading */ \
	/* on from its last copied byte finds its NUL (n == 1, or 0 above). */         \
	if (n == CHUNK) {                                                              \
		w->p += CHUNK - 1;                                                     \
		w->mid = 1;                                                            \
	} else {                                                                       \
		w->p += n;                                                             \
		w->mid = 0;                                                            \
		w->index++;                                                            \
	}                                                                              \
	return 0;                                                                      \
}

/* A walk over a linux_binprm's strings, from bprm->p: argc, then envc strings. */
static __always_inline struct walk walk_of_bprm(struct linux_binprm *bprm)
{
	struct walk w = {
		.p = BPF_CORE_READ(bprm, p),
		.argc = BPF_CORE_READ(bprm, argc),
	};
	w.total = w.argc + BPF_CORE_READ(bprm, envc);
	return w;
}

/* A walk over a process's environment, mm->env_start to mm->env_end, as the ELF loader left it. */
static __always_inline struct walk walk_of_mm(struct mm_struct *mm)
{
	struct walk w = {
		.p = BPF_CORE_READ(mm, env_start),
		.end = BPF_CORE_READ(mm, env_end),
		.total = ~0u,
	};
	return w;
}

/* Whether the environment was read to its end. */
static __always_inline int walk_incomplete(const struct walk *w)
{
	return w->failed || (w->index < w->total && !(w->end && w->p >= w->end));
}

/* Runs a walk with STEP to the end, or to max_steps; an incomplete one is counted. */
#define RUN_WALK(w, STEP)                                    \
	do {                                                 \
		bpf_loop(max_steps, STEP, &(w), 0);           \
		if (walk_incomplete(&(w)))                   \
			__sync_fetch_and_add(&incomplete, 1); \
	} while (0)

/*
 * The event of one exec: pid, comm, the filename (a kernel string) and the
 * LD_PRELOAD value found by the walk. A string that fills its field may have
 * been cut: it was if the byte that the field's last one (the NUL written by
 * the helper) stands for is not the string's end.
 */
static __always_inline void fill_event(struct krsi_event *e, const struct walk *w, const char *filename)
{
	char last = 0;

	e->kind = KRSI_EVENT_EXEC;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->found = w->value_at != 0;
	e->preloads = w->preloads;
	e->truncated = walk_incomplete(w);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->filename_truncated = 0;
	if (bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), filename) == sizeof(e->filename) &&
	    !bpf_probe_read_kernel(&last, 1, filename + sizeof(e->filename) - 1))
		e->filename_truncated = last != 0;
	e->value[0] = '\0';
	e->value_truncated = 0;
	if (w->value_at &&
	    bpf_probe_read_user_str(e->value, sizeof(e->value), (const void *)w->value_at) == sizeof(e->value) &&
	    !bpf_probe_read_user(&last, 1, (const void *)(w->value_at + sizeof(e->value) - 1)))
		e->value_truncated = last != 0;
}

#endif
