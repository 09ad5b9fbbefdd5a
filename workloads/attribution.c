/*
 * The snapshots of attribution.h, as lines:
 *     window <at> <CLOCK_MONOTONIC ns> <execbench's own CPU time ns>
 *     task <at> <pid> <ppid> <sum_exec_runtime ns> <run_delay ns> <timeslices> <comm>
 *     children <at> <user+system us of waited-for children>
 *     irqs <at> <interrupts> <softirqs>
 *     bpf <at> <prog id> <prog type> <run_time_ns> <run_cnt> <name>
 * where <at> is start or end. Tasks come from /proc/PID/schedstat
 * (CONFIG_SCHED_INFO), whose first field is the task's run time in ns, as of
 * its last tick or switch: execbench's own, which is running, comes from
 * CLOCK_THREAD_CPUTIME_ID instead, which brings it up to date. A
 * child that exited is gone from /proc: its time reaches the parent's
 * RUSAGE_CHILDREN when it is waited for, to the microsecond. Interrupts are
 * counted, not timed: without CONFIG_IRQ_TIME_ACCOUNTING the kernel charges
 * their time to the task they interrupted.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "attribution.h"

static char *buf;
static size_t buf_len;
static FILE *mem;
static int stats_fd = -1;

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
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
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

static void window(const char *at)
{
	struct timespec now, self;
	clock_gettime(CLOCK_MONOTONIC, &now);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &self);
	fprintf(mem, "window %s %lld %lld\n", at, (long long)now.tv_sec * 1000000000LL + now.tv_nsec,
		(long long)self.tv_sec * 1000000000LL + self.tv_nsec);
}

/*
 * The window is timed inside the two reads: it starts after the first and
 * ends before the second, as the profiler's marks do, so that reading /proc
 * is in neither.
 */
static void snapshot(const char *at)
{
	struct rusage ru;
	if (!strcmp(at, "end"))
		window(at);
	snapshot_tasks(at);
	if (!getrusage(RUSAGE_CHILDREN, &ru))
		fprintf(mem, "children %s %lld\n", at,
			(long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	snapshot_irqs(at);
	snapshot_bpf(at);
	if (!strcmp(at, "start"))
		window(at);
}

int attribution_start(void)
{
	mem = open_memstream(&buf, &buf_len);
	if (!mem) {
		perror("execbench: open_memstream");
		return -1;
	}
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.enable_stats.type = BPF_STATS_RUN_TIME;
	stats_fd = (int)sys_bpf(BPF_ENABLE_STATS, &attr);
	if (stats_fd < 0) {
		fprintf(stderr, "execbench: cannot turn on BPF run-time statistics: %s\n", strerror(errno));
		return -1;
	}
	snapshot("start");
	return 0;
}

int attribution_stop(void)
{
	snapshot("end");
	close(stats_fd);
	stats_fd = -1;
	if (fflush(mem) != 0) {
		perror("execbench: attribution snapshot");
		return -1;
	}
	return 0;
}

int attribution_write(const char *path)
{
	fclose(mem);
	FILE *f = fopen(path, "w");
	if (!f || fwrite(buf, 1, buf_len, f) != buf_len || fclose(f) != 0) {
		fprintf(stderr, "execbench: writing %s: %s\n", path, strerror(errno));
		return -1;
	}
	free(buf);
	return 0;
}
