/*
 * execbench: the native timer of the exec workload.
 *
 * Runs warm-up samples, then N measured samples, and prints them all after
 * the last one, one line each:
 *     sample <index> <warmup 0|1> <execs> <ns_per_exec>
 * where ns_per_exec is the CLOCK_MONOTONIC time of K fork+execve+waitpid of
 * the target divided by K. Nothing is written while samples are timed: a
 * line written between two samples wakes whatever reads it (a pipe, the
 * serial driver) while the next one runs, and on one vCPU that work lands in
 * the timed region.
 *
 * Warm-up is adaptive: at least W samples, then more until the last two
 * agree within --warmup-tol percent, at most --warmup-max in all. The count
 * used is the number of warm-up lines. The target runs with an environment built here:
 * PATH, LD_PRELOAD (unless --no-ld-preload) and --env-pages pages of filler
 * variables, LD_PRELOAD last so that a scan of the environment walks all of it.
 * --tiny-vars adds many short variables before LD_PRELOAD (many strings
 * rather than many bytes), and --ld-preload-decoy a first LD_PRELOAD that
 * glibc's loader ignores: it takes the last one. --env-file puts the
 * variables of a file (one a line) in place of PATH, for an environment of a
 * shell's size; everything after TARGET is its arguments.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "seccomp.h"

#define PAGE 4096
/* The snapshot program of the kernel's accounting (workloads/attribution.c). */
#define ATTRIBUTION "/bin/attribution"
#define MAX_ENV_PAGES 32
/* Filler variables of one page each, "KRSI_PAD_nn=xxx...", NUL included. */
#define PAD_NAME "KRSI_PAD_%02d="
/* Short variables "T000042=1", NUL included: six digits hold any index below the maximum. */
#define MAX_TINY_VARS 100000
#define TINY_ZERO "T000000=1"
#define TINY_LEN sizeof(TINY_ZERO)
/* Variables of --env-file: a shell's environment is a few dozen. */
#define MAX_FILE_VARS 256

/* How each child execs the target: --exec-call execveat instead of execve. */
static int use_execveat;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: execbench [-k EXECS] [-n SAMPLES] [-w WARMUP] [--warmup-max M] [--warmup-tol PCT]\n"
		"                 [--ld-preload VALUE [--ld-preload-decoy VALUE] | --no-ld-preload]\n"
		"                 [--env-pages P] [--tiny-vars N] [--edge-strings] [--exec-call execve|execveat]\n"
		"                 [--seccomp filter|notify [--seccomp-log FILE]] [--procs P]\n"
		"                 [--env-file FILE] [--attribution FILE [--bpf-stats]] TARGET [ARG...]\n"
		"  -k EXECS         fork+exec+waitpid per sample (default 100)\n"
		"  -n SAMPLES       measured samples (default 30)\n"
		"  -w WARMUP        at least this many warm-up samples, flagged 1 (default 2)\n"
		"  --warmup-max M   at most this many; more than W while the last two differ (default W)\n"
		"  --warmup-tol PCT how close, in percent, the last two warm-ups must be (default 0.5)\n"
		"  --ld-preload V   LD_PRELOAD value in the target's environment (default /lib/libkrsi-demo.so)\n"
		"  --no-ld-preload  leave LD_PRELOAD out of the environment\n"
		"  --ld-preload-decoy V  put LD_PRELOAD=V first in the environment as well; the\n"
		"                   loader takes the last LD_PRELOAD, the one of --ld-preload\n"
		"  --env-pages P    add P pages (0..%d) of filler variables before LD_PRELOAD\n"
		"  --tiny-vars N    add N variables T000000=1... (0..%d) after the pages, before LD_PRELOAD\n"
		"  --edge-strings   then an empty string and a variable of exactly 255 bytes\n"
		"  --env-file F     the variables of F, one a line, first, in place of PATH=/bin:/sbin\n"
		"  --exec-call C    exec the target with execve (default) or execveat(AT_FDCWD, ...)\n"
		"  --procs P        the K execs of a sample from P processes at once, K/P each (default 1)\n"
		"  --seccomp MODE   install a seccomp filter first: filter (allows all) or notify\n"
		"                   (each exec goes to a supervisor, which logs it to --seccomp-log)\n"
		"  --attribution F  start " ATTRIBUTION " before the first measured sample, have it\n"
		"                   snapshot there and after the last, and append the window's times to F\n"
		"  --bpf-stats      with it, turn the BPF programs' run-time statistics on for\n"
		"                   the window (a profiling boot)\n",
		MAX_ENV_PAGES, MAX_TINY_VARS);
}

static long parse_count(const char *opt, const char *s, long min, long max)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "execbench: %s takes a whole number from %ld to %ld, not '%s'\n", opt, min, max, s);
		exit(2);
	}
	return v;
}

static double parse_pct(const char *opt, const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *s == '\0' || *end != '\0' || !(v > 0 && v <= 100)) {
		fprintf(stderr, "execbench: %s takes a percentage above 0 and at most 100, not '%s'\n", opt, s);
		exit(2);
	}
	return v;
}

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * The marks a profiler outside the guest starts and stops on
 * (profiler/krsi_profile.c): `nopl DISP(%rax)`, a seven-byte no-op whose
 * displacement spells "KRS" and the mark's number, so that no padding a
 * compiler emits can be mistaken for one. They run in every boot, measured
 * or profiled, so that both run the same instructions.
 */
#define profile_mark_start() __asm__ volatile("nopl 0x4b525301(%%rax)" ::: "memory")
#define profile_mark_end() __asm__ volatile("nopl 0x4b525302(%%rax)" ::: "memory")

/*
 * One end of the profiled window: execbench's clock, its own CPU time
 * (brought up to date by the read, unlike /proc/self/schedstat) and that of
 * the children it has waited for, which are gone from /proc.
 */
struct window_end {
	long long mono_ns, self_ns, children_us;
};

static struct window_end window_now(void)
{
	struct timespec self;
	struct rusage ru;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &self);
	getrusage(RUSAGE_CHILDREN, &ru);
	struct window_end w = {
		.self_ns = (long long)self.tv_sec * 1000000000LL + self.tv_nsec,
		.children_us = (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec,
	};
	w.mono_ns = now_ns();
	return w;
}

/*
 * The snapshot program, started before the window: it takes the start
 * snapshot, says so on its stdout, and takes the end snapshot when told on
 * its stdin, so that no exec happens at the window's end
 * (workloads/attribution.c).
 */
struct snapshots {
	pid_t pid;
	int go;
};

static struct snapshots start_snapshots(char *const argv[], char *const envp[])
{
	int go[2], ready[2];
	if (pipe(go) || pipe(ready)) {
		perror("execbench: pipe");
		exit(1);
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("execbench: fork");
		exit(1);
	}
	if (pid == 0) {
		if (dup2(go[0], STDIN_FILENO) < 0 || dup2(ready[1], STDOUT_FILENO) < 0)
			_exit(127);
		close(go[0]), close(go[1]), close(ready[0]), close(ready[1]);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(go[0]);
	close(ready[1]);
	char byte;
	ssize_t n;
	while ((n = read(ready[0], &byte, 1)) < 0 && errno == EINTR)
		;
	close(ready[0]);
	if (n != 1) {
		fprintf(stderr, "execbench: %s failed before its start snapshot\n", argv[0]);
		exit(1);
	}
	return (struct snapshots){ .pid = pid, .go = go[1] };
}

static void end_snapshots(struct snapshots s)
{
	int status;
	if (write(s.go, "g", 1) != 1) {
		perror("execbench: telling the snapshot program to end");
		exit(1);
	}
	close(s.go);
	while (waitpid(s.pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("execbench: waitpid");
			exit(1);
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "execbench: " ATTRIBUTION " failed (status 0x%x)\n", status);
		exit(1);
	}
}

/* One fork+exec+waitpid of the target; exits the benchmark on any failure. */
static void run_once(const char *target, char *const argv[], char *const envp[])
{
	pid_t pid = fork();
	if (pid < 0) {
		perror("execbench: fork");
		exit(1);
	}
	if (pid == 0) {
		if (use_execveat)
			syscall(SYS_execveat, AT_FDCWD, target, argv, envp, 0);
		else
			execve(target, argv, envp);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("execbench: waitpid");
			exit(1);
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "execbench: %s did not exit 0 (status 0x%x)\n", target, status);
		exit(1);
	}
}

/*
 * The K execs of one sample from P processes at once, K/P each: P exec'ing
 * processes compete for the CPUs and for the instrumentation's buffer.
 */
static void run_burst(long procs, long execs, const char *target, char *const argv[], char *const envp[])
{
	fflush(NULL);
	for (long p = 0; p < procs; p++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("execbench: fork");
			exit(1);
		}
		if (pid == 0) {
			for (long k = 0; k < execs / procs; k++)
				run_once(target, argv, envp);
			_exit(0);
		}
	}
	for (long p = 0; p < procs; p++) {
		int status;
		while (wait(&status) < 0) {
			if (errno != EINTR) {
				perror("execbench: wait");
				exit(1);
			}
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "execbench: a burst process failed (status 0x%x)\n", status);
			exit(1);
		}
	}
}

static char *alloc_var(size_t size)
{
	char *var = malloc(size);
	if (!var)
		perror("execbench: malloc");
	return var;
}

static char *preload_var(const char *value)
{
	size_t len = strlen("LD_PRELOAD=") + strlen(value) + 1;
	char *var = alloc_var(len);
	if (var)
		snprintf(var, len, "LD_PRELOAD=%s", value);
	return var;
}

/*
 * The target's environment, in this order: the decoy LD_PRELOAD if any,
 * PATH, the filler pages, the tiny variables, LD_PRELOAD if any, NULL.
 * Returns NULL once it has said why.
 */
/*
 * --edge-strings: an empty string, then a variable of exactly 255 bytes
 * (CHUNK - 1 of bpf/env_walk.bpf.h), whose NUL a chunked reader finds alone
 * at the start of its next chunk: where a reader that takes a zero-length
 * read for a fault stops short of LD_PRELOAD.
 */
#define EDGE_LEN 255

static char **build_env(const char *decoy, char **file_vars, long file_n, long pages, long tiny, int edge, const char *ld_preload)
{
	char **envp = malloc(sizeof(char *) * (size_t)(file_n + pages + tiny + 6));
	char *tiny_block = tiny ? malloc(TINY_LEN * (size_t)tiny) : NULL;
	long n = 0;
	if (!envp || (tiny && !tiny_block)) {
		perror("execbench: malloc");
		return NULL;
	}
	if (decoy && !(envp[n++] = preload_var(decoy)))
		return NULL;
	if (file_vars)
		for (long v = 0; v < file_n; v++)
			envp[n++] = file_vars[v];
	else
		envp[n++] = "PATH=/bin:/sbin";
	for (long p = 0; p < pages; p++) {
		char *var = alloc_var(PAGE);
		if (!var)
			return NULL;
		int len = snprintf(var, PAGE, PAD_NAME, (int)p);
		memset(var + len, 'x', PAGE - len - 1);
		var[PAGE - 1] = '\0';
		envp[n++] = var;
	}
	for (long t = 0; t < tiny; t++) {
		char *var = tiny_block + t * TINY_LEN;
		memcpy(var, TINY_ZERO, TINY_LEN);
		for (long d = t, i = 6; d; d /= 10, i--)
			var[i] = (char)('0' + d % 10);
		envp[n++] = var;
	}
	if (edge) {
		/*
		 * On the heap, like the other variables: a static array here moved
		 * execbench's data so that every fork took one more page fault
		 * (+1002 minor faults in 1000 execs), and vanilla's exec cost +3.0 %.
		 */
		char *var = alloc_var(EDGE_LEN + 1);
		if (!var)
			return NULL;
		memcpy(var, "E=", 2);
		memset(var + 2, 'e', EDGE_LEN - 2);
		var[EDGE_LEN] = '\0';
		envp[n++] = "";
		envp[n++] = var;
	}
	if (ld_preload && !(envp[n++] = preload_var(ld_preload)))
		return NULL;
	envp[n] = NULL;
	return envp;
}

/*
 * --env-file: one variable a line, each NAME=VALUE. Returns how many, with
 * *vars set, or -1 once it has said why.
 */
static long read_env_file(const char *path, char ***vars)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "execbench: --env-file %s: %s\n", path, strerror(errno));
		return -1;
	}
	char **out = malloc(sizeof(char *) * MAX_FILE_VARS);
	char *line = NULL;
	size_t cap = 0;
	long n = 0, lineno = 0;
	ssize_t len;
	while (out && (len = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0 || !strchr(line, '=') || line[0] == '=') {
			fprintf(stderr, "execbench: --env-file %s line %ld: not NAME=VALUE\n", path, lineno);
			return -1;
		}
		if (n == MAX_FILE_VARS) {
			fprintf(stderr, "execbench: --env-file %s: more than %d variables\n", path, MAX_FILE_VARS);
			return -1;
		}
		if (!(out[n++] = strdup(line)))
			break;
	}
	if (!out || (n && !out[n - 1]) || ferror(f)) {
		fprintf(stderr, "execbench: --env-file %s: %s\n", path, strerror(errno ? errno : ENOMEM));
		return -1;
	}
	free(line);
	fclose(f);
	*vars = out;
	return n;
}

int main(int argc, char **argv)
{
	long execs = 100, samples = 30, warmup = 2, warmup_max = -1, env_pages = 0, procs = 1, tiny_vars = 0;
	double warmup_tol = 0.5;
	const char *ld_preload = "/lib/libkrsi-demo.so", *decoy = NULL, *exec_call = "execve";
	const char *target = NULL;
	const char *seccomp = NULL, *seccomp_log = NULL, *attribution = NULL, *env_file = NULL;
	int target_at = 0;
	int bpf_stats = 0, edge = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--no-ld-preload")) {
			ld_preload = NULL;
		} else if (!strcmp(a, "--bpf-stats")) {
			bpf_stats = 1;
		} else if (!strcmp(a, "--edge-strings")) {
			edge = 1;
		} else if (a[0] == '-' && !next) {
			fprintf(stderr, "execbench: %s needs a value\n", a);
			return 2;
		} else if (!strcmp(a, "-k")) {
			execs = parse_count(a, argv[++i], 1, 1000000);
		} else if (!strcmp(a, "-n")) {
			samples = parse_count(a, argv[++i], 1, 10000000);
		} else if (!strcmp(a, "-w")) {
			warmup = parse_count(a, argv[++i], 0, 10000000);
		} else if (!strcmp(a, "--warmup-max")) {
			warmup_max = parse_count(a, argv[++i], 0, 10000000);
		} else if (!strcmp(a, "--warmup-tol")) {
			warmup_tol = parse_pct(a, argv[++i]);
		} else if (!strcmp(a, "--procs")) {
			procs = parse_count(a, argv[++i], 1, 64);
		} else if (!strcmp(a, "--env-pages")) {
			env_pages = parse_count(a, argv[++i], 0, MAX_ENV_PAGES);
		} else if (!strcmp(a, "--tiny-vars")) {
			tiny_vars = parse_count(a, argv[++i], 0, MAX_TINY_VARS);
		} else if (!strcmp(a, "--ld-preload")) {
			ld_preload = argv[++i];
		} else if (!strcmp(a, "--ld-preload-decoy")) {
			decoy = argv[++i];
		} else if (!strcmp(a, "--exec-call")) {
			exec_call = argv[++i];
		} else if (!strcmp(a, "--seccomp")) {
			seccomp = argv[++i];
		} else if (!strcmp(a, "--seccomp-log")) {
			seccomp_log = argv[++i];
		} else if (!strcmp(a, "--attribution")) {
			attribution = argv[++i];
		} else if (!strcmp(a, "--env-file")) {
			env_file = argv[++i];
		} else if (a[0] == '-') {
			fprintf(stderr, "execbench: unknown option %s (see --help)\n", a);
			return 2;
		} else {
			target = a;
			target_at = i;
			break;
		}
	}
	if (!target) {
		usage(stderr);
		return 2;
	}
	if (execs % procs) {
		fprintf(stderr, "execbench: -k %ld does not split evenly over --procs %ld\n", execs, procs);
		return 2;
	}
	if (seccomp && strcmp(seccomp, "filter") && strcmp(seccomp, "notify")) {
		fprintf(stderr, "execbench: --seccomp takes filter or notify, not '%s'\n", seccomp);
		return 2;
	}
	if ((seccomp && !strcmp(seccomp, "notify")) != (seccomp_log != NULL)) {
		fprintf(stderr, "execbench: --seccomp-log FILE goes with --seccomp notify, and only with it\n");
		return 2;
	}
	if (strcmp(exec_call, "execve") && strcmp(exec_call, "execveat")) {
		fprintf(stderr, "execbench: --exec-call takes execve or execveat, not '%s'\n", exec_call);
		return 2;
	}
	use_execveat = !strcmp(exec_call, "execveat");
	if (decoy && !ld_preload) {
		fprintf(stderr, "execbench: --ld-preload-decoy needs an LD_PRELOAD to come after it, not --no-ld-preload\n");
		return 2;
	}
	if (bpf_stats && !attribution) {
		fprintf(stderr, "execbench: --bpf-stats goes with --attribution FILE\n");
		return 2;
	}
	if (warmup_max < 0)
		warmup_max = warmup;
	if (warmup_max < warmup) {
		fprintf(stderr, "execbench: --warmup-max %ld is below -w %ld\n", warmup_max, warmup);
		return 2;
	}
	if (access(target, X_OK) != 0) {
		fprintf(stderr, "execbench: %s is not executable: %s\n", target, strerror(errno));
		return 2;
	}

	char **file_vars = NULL;
	long file_n = env_file ? read_env_file(env_file, &file_vars) : 0;
	if (file_n < 0)
		return 2;
	char **envp = build_env(decoy, file_vars, file_n, env_pages, tiny_vars, edge, ld_preload);
	if (!envp)
		return 1;
	/* The target's argv: its path, then the words after it on this command line. */
	char **targv = &argv[target_at];

	double *ns = malloc(sizeof(double) * (size_t)(warmup_max + samples));
	if (!ns) {
		perror("execbench: malloc");
		return 1;
	}
	/* Installed on execbench itself, before the first sample: every child inherits it. */
	if (seccomp && seccomp_start(seccomp, seccomp_log))
		return 1;
	long taken = 0, warmups = 0;
	int warming = warmup_max > 0;
	int marked = 0;
	char *snapshot_argv[] = { ATTRIBUTION, (char *)attribution, bpf_stats ? "--bpf-stats" : NULL, NULL };
	struct snapshots snapshots = { .pid = -1, .go = -1 };
	struct window_end from = { 0 }, to = { 0 };
	while (warming || taken < warmups + samples) {
		if (!warming && !marked) {
			if (attribution) {
				snapshots = start_snapshots(snapshot_argv, envp);
				from = window_now();
			}
			profile_mark_start();
			marked = 1;
		}
		long long t0 = now_ns();
		if (procs == 1)
			for (long k = 0; k < execs; k++)
				run_once(target, targv, envp);
		else
			run_burst(procs, execs, target, targv, envp);
		long long t1 = now_ns();
		ns[taken] = (double)(t1 - t0) / (double)execs;
		if (warming) {
			warmups++;
			int agrees = warmups >= 2 && fabs(ns[taken] / ns[taken - 1] - 1) * 100 <= warmup_tol;
			warming = warmups < warmup_max && (warmups < warmup || !agrees);
		}
		taken++;
	}
	profile_mark_end();
	if (attribution) {
		to = window_now();
		end_snapshots(snapshots);
	}
	if (seccomp_stop())
		return 1;
	for (long s = 0; s < taken; s++) {
		int is_warmup = s < warmups;
		printf("sample %ld %d %ld %.3f\n", is_warmup ? s : s - warmups, is_warmup, execs, ns[s]);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("execbench: writing the samples");
		return 1;
	}
	if (attribution) {
		FILE *f = fopen(attribution, "a");
		if (!f || fprintf(f, "window start %lld %lld %lld\nwindow end %lld %lld %lld\n", from.mono_ns, from.self_ns, from.children_us,
				  to.mono_ns, to.self_ns, to.children_us) < 0 || fclose(f) != 0) {
			fprintf(stderr, "execbench: writing %s: %s\n", attribution, strerror(errno));
			return 1;
		}
	}
	return 0;
}
