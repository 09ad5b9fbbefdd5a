/*
 * execbench: the native timer of the exec workload.
 *
 * Prints W warm-up samples, then N samples, one line each:
 *     sample <index> <warmup 0|1> <execs> <ns_per_exec>
 * where ns_per_exec is the CLOCK_MONOTONIC time of K fork+execve+waitpid of
 * the target divided by K. The target runs with an environment built here:
 * PATH, LD_PRELOAD (unless --no-ld-preload) and --env-pages pages of filler
 * variables, LD_PRELOAD last so that a scan of the environment walks all of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define MAX_ENV_PAGES 32
/* Filler variables of one page each, "KRSI_PAD_nn=xxx...", NUL included. */
#define PAD_NAME "KRSI_PAD_%02d="

static void usage(FILE *out)
{
	fprintf(out,
		"usage: execbench [-k EXECS] [-n SAMPLES] [-w WARMUP] [--ld-preload VALUE | --no-ld-preload]\n"
		"                 [--env-pages P] TARGET\n"
		"  -k EXECS         fork+execve+waitpid per sample (default 100)\n"
		"  -n SAMPLES       measured samples (default 30)\n"
		"  -w WARMUP        warm-up samples printed before them, flagged 1 (default 3)\n"
		"  --ld-preload V   LD_PRELOAD value in the target's environment (default /lib/libkrsi-demo.so)\n"
		"  --no-ld-preload  leave LD_PRELOAD out of the environment\n"
		"  --env-pages P    add P pages (0..%d) of filler variables before LD_PRELOAD\n",
		MAX_ENV_PAGES);
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

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One fork+execve+waitpid of the target; exits the benchmark on any failure. */
static void run_once(const char *target, char *const argv[], char *const envp[])
{
	pid_t pid = fork();
	if (pid < 0) {
		perror("execbench: fork");
		exit(1);
	}
	if (pid == 0) {
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

int main(int argc, char **argv)
{
	long execs = 100, samples = 30, warmup = 3, env_pages = 0;
	const char *ld_preload = "/lib/libkrsi-demo.so";
	const char *target = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--no-ld-preload")) {
			ld_preload = NULL;
		} else if (a[0] == '-' && !next) {
			fprintf(stderr, "execbench: %s needs a value\n", a);
			return 2;
		} else if (!strcmp(a, "-k")) {
			execs = parse_count(a, argv[++i], 1, 1000000);
		} else if (!strcmp(a, "-n")) {
			samples = parse_count(a, argv[++i], 1, 10000000);
		} else if (!strcmp(a, "-w")) {
			warmup = parse_count(a, argv[++i], 0, 10000000);
		} else if (!strcmp(a, "--env-pages")) {
			env_pages = parse_count(a, argv[++i], 0, MAX_ENV_PAGES);
		} else if (!strcmp(a, "--ld-preload")) {
			ld_preload = argv[++i];
		} else if (a[0] == '-') {
			fprintf(stderr, "execbench: unknown option %s (see --help)\n", a);
			return 2;
		} else if (!target) {
			target = a;
		} else {
			fprintf(stderr, "execbench: one target only, got %s and %s\n", target, a);
			return 2;
		}
	}
	if (!target) {
		usage(stderr);
		return 2;
	}
	if (access(target, X_OK) != 0) {
		fprintf(stderr, "execbench: %s is not executable: %s\n", target, strerror(errno));
		return 2;
	}

	/* PATH, the filler pages, LD_PRELOAD, NULL */
	char *envp[MAX_ENV_PAGES + 3];
	int n = 0;
	envp[n++] = "PATH=/bin:/sbin";
	for (long p = 0; p < env_pages; p++) {
		char *var = malloc(PAGE);
		if (!var) {
			perror("execbench: malloc");
			return 1;
		}
		int len = snprintf(var, PAGE, PAD_NAME, (int)p);
		memset(var + len, 'x', PAGE - len - 1);
		var[PAGE - 1] = '\0';
		envp[n++] = var;
	}
	char *preload_var = NULL;
	if (ld_preload) {
		size_t len = strlen("LD_PRELOAD=") + strlen(ld_preload) + 1;
		preload_var = malloc(len);
		if (!preload_var) {
			perror("execbench: malloc");
			return 1;
		}
		snprintf(preload_var, len, "LD_PRELOAD=%s", ld_preload);
		envp[n++] = preload_var;
	}
	envp[n] = NULL;
	char *targv[] = { (char *)target, NULL };

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (long s = 0; s < warmup + samples; s++) {
		long long t0 = now_ns();
		for (long k = 0; k < execs; k++)
			run_once(target, targv, envp);
		long long t1 = now_ns();
		int is_warmup = s < warmup;
		long index = is_warmup ? s : s - warmup;
		printf("sample %ld %d %ld %.3f\n", index, is_warmup, execs, (double)(t1 - t0) / (double)execs);
	}
	return 0;
}
