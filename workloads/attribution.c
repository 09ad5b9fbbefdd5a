/*
 * attribution: the kernel's own accounting around the measured samples, in
 * every boot. execbench starts `attribution FILE` before its first measured
 * sample, with its stdin and stdout on two pipes. It takes the start
 * snapshot, says so on stdout, and sleeps on stdin until execbench's last
 * sample is done, then takes the end snapshot: the window ends without an
 * exec, whose work for the daemons would land in the tasks' times after
 * execbench's clock stopped. Each snapshot appends to FILE, as lines:
 *     task <at> <pid> <ppid> <sum_exec_runtime ns> <run_delay ns> <timeslices> <comm>
 *     rq <at> <cpus> <rq_cpu_time ns> <run_delay ns>
 *     psi <at> <some total us> <full total us>
 *     irqs <at> <interrupts> <softirqs>
 *     bpf <at> <prog id> <prog type> <run_time_ns> <run_cnt> <name>   (--bpf-stats only)
 * where <at> is start or end, and a task is a thread. Tasks come from
 * /proc/PID/task/TID/schedstat
 * (CONFIG_SCHED_INFO), whose first field is the task's run time in ns as of
 * its last tick or switch, and second the time it spent runnable but waiting
 * for a CPU; none of them runs while this does. The rq line adds up
 * /proc/schedstat's per-CPU totals of both over every task, those that have
 * exited included: the exec'd children's waits are known only from it.
 * The psi line is this program's cgroup's cpu.pressure: execbench runs in
 * a cgroup of its own, and "full" is the time in which some of its tasks were
 * runnable while none of them ran, which is what exec latency leaves out
 * (a task of the cgroup waiting while another of them runs is not in it).
 * Interrupts are counted, not timed: without CONFIG_IRQ_TIME_ACCOUNTING the
 * kernel charges their time to the task they interrupted.
 *
 * With --bpf-stats (profiling boots), the start snapshot turns on the
 * kernel's BPF run-time statistics (kernel.bpf_stats_enabled) and the end
 * snapshot turns them off and lists every program's: they add two clock
 * reads to every program run, so measuring boots leave them off. They are
 * turned on after this program's own exec, so a program on an exec hook
 * counts the window's execs of the target and no more.
 *
 * It is a program of its own, not part of execbench, because execbench's
 * size is part of what is measured: linking this code into it (86 KB more
 * text) moved vanilla's fixed-layout level by +8.5 %.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
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

/* One thread's line: its own run time and wait, under its process's parent. */
static void snapshot_thread(const char *at, const char *pid, const char *tid, long ppid)
{
	char path[600], sched[128], comm[64];
	unsigned long long run, delay, slices;
	snprintf(path, sizeof(path), "/proc/%s/task/%s/schedstat", pid, tid);
	/* A thread may exit between readdir and the read: it is then simply absent. */
	if (read_small(path, sched, sizeof(sched)) || sscanf(sched, "%llu %llu %llu", &run, &delay, &slices) != 3)
		return;
	snprintf(path, sizeof(path), "/proc/%s/task/%s/comm", pid, tid);
	if (read_small(path, comm, sizeof(comm)))
		return;
	fprintf(mem, "task %s %s %ld %llu %llu %llu %s\n", at, tid, ppid, run, delay, slices, comm);
}

/*
 * Every thread of every process: /proc/PID/schedstat is the first thread's
 * alone, and auditd writes its log from a second one (flush =
 * INCREMENTAL_ASYNC), whose time would otherwise be no task's.
 */
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
		char path[300], stat[512];
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if (read_small(path, stat, sizeof(stat)))
			continue;
		/* The fourth field, after "(comm)" which may hold spaces and parentheses. */
		long ppid = -1;
		char *close = strrchr(stat, ')');
		if (close)
			sscanf(close + 1, " %*c %ld", &ppid);
		snprintf(path, sizeof(path), "/proc/%s/task", e->d_name);
		DIR *threads = opendir(path);
		if (!threads)
			continue;
		struct dirent *t;
		while ((t = readdir(threads)))
			if (isdigit((unsigned char)t->d_name[0]))
				snapshot_thread(at, e->d_name, t->d_name, ppid);
		closedir(threads);
	}
	closedir(d);
}

/* /proc/schedstat: "cpuN yld 0 sched_count goidle ttwu ttwu_local rq_cpu_time run_delay pcount", summed over CPUs. */
struct rq_totals {
	int cpus;
	unsigned long long cpu_time, delay;
};

static struct rq_totals read_rq(void)
{
	struct rq_totals r = { 0 };
	FILE *f = fopen("/proc/schedstat", "r");
	if (!f)
		return r;
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		unsigned long long t, d;
		if (strncmp(line, "cpu", 3) || sscanf(line, "cpu%*u %*u %*u %*u %*u %*u %*u %llu %llu", &t, &d) != 2)
			continue;
		r.cpu_time += t;
		r.delay += d;
		r.cpus++;
	}
	fclose(f);
	return r;
}

/*
 * The tasks and the run queue's totals as of one moment. A task that takes
 * the CPU from this program while it reads (the BPF logger, woken by this
 * program's own exec) adds its wait to the totals after its own line was
 * read, and the exited children's share, the totals less the live tasks',
 * would come out short. The run queue's totals change only when a task
 * switches in or out, so the scan is taken again until they are the same
 * before and after it.
 */
static void snapshot_tasks_and_rq(const char *at)
{
	FILE *out = mem;
	for (int attempt = 0; attempt < 20; attempt++) {
		char *buf = NULL;
		size_t len = 0;
		struct rq_totals before = read_rq();
		mem = open_memstream(&buf, &len);
		if (!mem) {
			mem = out;
			snapshot_tasks(at);
			return;
		}
		snapshot_tasks(at);
		fclose(mem);
		mem = out;
		struct rq_totals after = read_rq();
		int steady = before.cpu_time == after.cpu_time && before.delay == after.delay;
		if (steady || attempt == 19) {
			fwrite(buf, 1, len, out);
			if (after.cpus)
				fprintf(out, "rq %s %d %llu %llu\n", at, after.cpus, after.cpu_time, after.delay);
			free(buf);
			return;
		}
		free(buf);
	}
}

/* cpu.pressure of the cgroup this program runs in (/proc/self/cgroup "0::/PATH"), where it has one. */
static void snapshot_psi(const char *at)
{
	char cgroup[256], path[512], line[256];
	if (read_small("/proc/self/cgroup", cgroup, sizeof(cgroup)) || strncmp(cgroup, "0::/", 4) || !cgroup[4])
		return;
	snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/cpu.pressure", cgroup + 4);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	unsigned long long some = 0, full = 0;
	int found = 0;
	while (fgets(line, sizeof(line), f)) {
		char *total = strstr(line, "total=");
		if (!total)
			continue;
		if (!strncmp(line, "some ", 5))
			some = strtoull(total + 6, NULL, 10), found |= 1;
		else if (!strncmp(line, "full ", 5))
			full = strtoull(total + 6, NULL, 10), found |= 2;
	}
	fclose(f);
	if (found == 3)
		fprintf(mem, "psi %s %llu %llu\n", at, some, full);
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

/* One snapshot, appended to FILE. */
static int snapshot(const char *file, const char *at, int bpf_stats)
{
	mem = fopen(file, "a");
	if (!mem) {
		fprintf(stderr, "attribution: cannot open %s: %s\n", file, strerror(errno));
		return 1;
	}
	if (bpf_stats && !strcmp(at, "start") && set_bpf_stats("1"))
		return 1;
	snapshot_tasks_and_rq(at);
	snapshot_psi(at);
	snapshot_irqs(at);
	if (bpf_stats)
		snapshot_bpf(at);
	if (bpf_stats && !strcmp(at, "end") && set_bpf_stats("0"))
		return 1;
	if (fclose(mem) != 0) {
		fprintf(stderr, "attribution: writing %s: %s\n", file, strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int bpf_stats = argc == 3 && !strcmp(argv[2], "--bpf-stats");
	if (argc != 2 && !bpf_stats) {
		fprintf(stderr, "usage: attribution FILE [--bpf-stats] (started by execbench: stdin and stdout are its pipes)\n");
		return 2;
	}
	/*
	 * Its own exec makes work for the daemons (an audit record, a logger's
	 * event, a seccomp notification): let that finish before the first
	 * snapshot, or it would count in the window's tasks but not its time.
	 * Under icount the pause is idle and costs no wall time.
	 */
	struct timespec settle = { .tv_sec = 0, .tv_nsec = 100 * 1000 * 1000 };
	nanosleep(&settle, NULL);
	/*
	 * Real-time from here: woken by execbench's "go", this preempts it at
	 * once, before any task that the last sample left runnable (a logger
	 * behind on its events) can run between execbench's clock stopping and
	 * the end snapshot, where its time would count in the tasks but not in
	 * the window. It is asleep for the whole window.
	 */
	struct sched_param rt = { .sched_priority = 1 };
	if (sched_setscheduler(0, SCHED_FIFO, &rt)) {
		fprintf(stderr, "attribution: sched_setscheduler(SCHED_FIFO): %s\n", strerror(errno));
		return 1;
	}
	if (snapshot(argv[1], "start", bpf_stats))
		return 1;
	/* "taken", then wait for execbench's "go" after its last sample: no exec at the window's end. */
	char byte = 's';
	if (write(STDOUT_FILENO, &byte, 1) != 1)
		return 1;
	ssize_t n;
	while ((n = read(STDIN_FILENO, &byte, 1)) < 0 && errno == EINTR)
		;
	if (n != 1) {
		fprintf(stderr, "attribution: execbench went away before the end snapshot\n");
		return 1;
	}
	return snapshot(argv[1], "end", bpf_stats);
}
