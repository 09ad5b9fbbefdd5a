/*
 * What a profiling boot records around execbench's measured samples
 * (attribution.c): the kernel's own accounting, read once before the first
 * measured sample and once after the last, and the marks that a profiler
 * outside the guest (profiler/krsi_profile.c) starts and stops on.
 */
#ifndef EXECBENCH_ATTRIBUTION_H
#define EXECBENCH_ATTRIBUTION_H

/*
 * The marks: `nopl DISP(%rax)` (0f 1f 80 + a 32-bit displacement), a
 * seven-byte no-op to the CPU. The displacement spells "KRS" and the mark's
 * number, so that no compiler-made padding can be mistaken for one.
 * execbench runs them in every boot, measured or profiled, so that both run
 * the same instructions.
 */
#define profile_mark_start() __asm__ volatile("nopl 0x4b525301(%%rax)" ::: "memory")
#define profile_mark_end() __asm__ volatile("nopl 0x4b525302(%%rax)" ::: "memory")

/*
 * Starts recording into memory: turns on the kernel's BPF run-time
 * statistics (BPF_ENABLE_STATS, for as long as execbench holds the fd) and
 * takes the first snapshot. Returns 0, or prints why and returns -1.
 */
int attribution_start(void);

/* Takes the second snapshot and turns the statistics off again; returns 0 or -1. */
int attribution_stop(void);

/* Writes both snapshots to path; returns 0, or prints why and returns -1. */
int attribution_write(const char *path);

#endif
