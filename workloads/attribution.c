/*
 * attribution: the snapshot of a profiling boot (npm run profile). execbench
 * runs `attribution start FILE` just before its first measured sample and
 * `attribution end FILE` just after its last; each appends to FILE the
 * kernel's own accounting at that point, as lines:
 *     task <at> <pid> <ppid> <sum_exec_runtime ns> <run_delay ns> <timeslices> <comm>
 *     irqs <at> <interrupts> <softirqs>
 *     bpf <at> <prog id> <prog type> <run_time_ns> <run_cnt> <name>
 * where <at> is start or end. Tasks come from /proc/PID/schedstat
 * (CONFIG_SCHED_INFO), whose first field is the task's run time in ns as of
 * its last tick or switch; none of them runs while this does. Interrupts are
 * counted, not timed: without CONFIG_IRQ_TIME_ACCOUNTING the kernel charges
 * their time to the task they interrupted. `start` turns on the kernel's BPF
 * run-time statistics (kernel.bpf_stats_enabled), `end` turns them off.
 * A program on an exec hook counts one run more than the window's execs of
 * the target: the exec of `attribution end` itself, before it reads them.
 *
 * It is a program of its own, not part of execbench, because execbench's
 * size is part of what is measured: linking this code into it (86 KB more
 * text) moved vanilla's fixed-layout level by +8.5 %.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static FILE *mem;

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* Reads a small /proc file into out, without its final newline; returns 0 or -1. */
static int read_small(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(out, 1, size - 1, f);
	fclose(f);
	out[n] = 0;
	if (n && out[n - 1] == '\n')
		out[n - 1] = 0;
	return 0;
}

static void snapshot_tasks(const char *at)
{
	DIR *d = opendir("/proc");
	if (!d)
		return;
	struct dirent *e;
	/* This program runs outside the window: its own time is no task's in it. */
	long self = (long)getpid();
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]) || atol(e->d_name) == self)
			continue;
		char path[300], sched[128], comm[64], stat[512];
		unsigned long long run, delay, slices;
		snprintf(path, sizeof(path), "/proc/%s/schedstat", e->d_name);
		/* A task may exit between readdir and the read: it is then simply absent. */
		if (read_small(path, sched, sizeof(sched)) || sscanf(sched, "%llu %llu %llu", &run, &delay, &slices) != 3)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		if (read_small(path, comm, sizeof(comm)))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		/* The fourth field, after "(comm)" which may hold spaces and parentheses. */
		long ppid = -1;
		char *close;
		if (!read_small(path, stat, sizeof(stat)) && (close = strrchr(stat, ')')))
			sscanf(close + 1, " %*c %ld", &ppid);
		fprintf(mem, "task %s %s %ld %llu %llu %llu %s\n", at, e->d_name, ppid, run, delay, slices, comm);
	}
	closedir(d);
}

static void snapshot_irqs(const char *at)
{
	FILE *f = fopen("/proc/stat", "r");
	if (!f)
		return;
	char line[4096];
	unsigned long long intr = 0, softirq = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "intr ", 5))
			intr = strtoull(line + 5, NULL, 10);
		else if (!strncmp(line, "softirq ", 8))
			softirq = strtoull(line + 8, NULL, 10);
	}
	fclose(f);
	fprintf(mem, "irqs %s %llu %llu\n", at, intr, softirq);
}

/* Every loaded program, the suite's and a user's alike, by walking the kernel's program ids. */
static void snapshot_bpf(const char *at)
{
	union bpf_attr attr;
	__u32 id = 0;
	for (;;) {
		memset(&attr, 0, sizeof(attr));
		attr.start_id = id;
		if (sys_bpf(BPF_PROG_GET_NEXT_ID, &attr))
			break;
		id = attr.next_id;
		memset(&attr, 0, sizeof(attr));
		attr.prog_id = id;
		int fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
		if (fd < 0)
			continue;
		struct bpf_prog_info info;
		memset(&info, 0, sizeof(info));
		memset(&attr, 0, sizeof(attr));
		attr.info.bpf_fd = (__u32)fd;
		attr.info.info_len = sizeof(info);
		attr.info.info = (__u64)(unsigned long)&info;
		if (!sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr))
			fprintf(mem, "bpf %s %u %u %llu %llu %s\n", at, info.id, info.type, (unsigned long long)info.run_time_ns,
				(unsigned long long)info.run_cnt, info.name[0] ? info.name : "-");
		close(fd);
	}
}

static int set_bpf_stats(const char *value)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "w");
	if (!f || fputs(value, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "attribution: cannot set kernel.bpf_stats_enabled: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "start") && strcmp(argv[1], "end"))) {
		fprintf(stderr, "usage: attribution start|end FILE\n");
		return 2;
	}
	const char *at = argv[1];
	mem = fopen(argv[2], "a");
	if (!mem) {
		fprintf(stderr, "attribution: cannot open %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (!strcmp(at, "start") && set_bpf_stats("1"))
		return 1;
	snapshot_tasks(at);
	snapshot_irqs(at);
	snapshot_bpf(at);
	if (!strcmp(at, "end") && set_bpf_stats("0"))
		return 1;
	if (fclose(mem) != 0) {
		fprintf(stderr, "attribution: writing %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	return 0;
}
