/*
 * See seccomp.h. The supervisor is forked after the filter is installed, so
 * it shares the listener; it never execs, so the filter never stops it.
 *
 * Where the filter's result depends on the syscall number alone, 6.12
 * precomputes it per syscall (the "constant action bitmap", 5.11+), and
 * syscalls other than execve then skip the filter entirely: what "filter"
 * measures is that fast path, which is what such a filter costs today.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "seccomp.h"

#define PREFIX "LD_PRELOAD="
#define PREFIX_LEN (sizeof(PREFIX) - 1)
/* The fields of krsi_ld_preload.h, so that the guest checks both loggers alike. */
#define FILENAME_LEN 256
#define VALUE_LEN 256
/* How many environment pointers the supervisor reads at most: execbench passes 35. */
#define MAX_ENV 1024

static pid_t supervisor = -1;
static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static int install(int notify)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, notify ? SECCOMP_RET_USER_NOTIF : SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		perror("execbench: prctl(PR_SET_NO_NEW_PRIVS)");
		return -1;
	}
	int fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0, &prog);
	if (fd < 0)
		perror("execbench: seccomp(SECCOMP_SET_MODE_FILTER)");
	return fd;
}

/*
 * The stopped child's memory, through /proc/PID/mem: process_vm_readv needs
 * CONFIG_CROSS_MEMORY_ATTACH, which the guest kernels leave out.
 */
static ssize_t read_mem(int mem, unsigned long addr, void *buf, size_t size)
{
	return pread(mem, buf, size, (off_t)addr);
}

/* Up to size - 1 bytes of a string in the child's memory, NUL-terminated; its length, or -1. */
static long read_string(int mem, unsigned long addr, char *buf, size_t size)
{
	ssize_t n = read_mem(mem, addr, buf, size - 1);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (long)strnlen(buf, (size_t)n);
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/*
 * One exec: the filename and LD_PRELOAD, read from the child's memory while
 * it is stopped in execve. Between this read and the kernel's own, another
 * thread of the child could change the strings (the talk's TOCTTOU point):
 * a supervisor can log what it saw, not what ran.
 */
static void log_exec(FILE *log, const struct seccomp_notif *req)
{
	pid_t pid = (pid_t)req->pid;
	char filename[FILENAME_LEN], value[VALUE_LEN + PREFIX_LEN], head[PREFIX_LEN + 1], path[32];
	unsigned long envp[64];
	int found = 0, truncated = 0, value_truncated = 0;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	int mem = open(path, O_RDONLY | O_CLOEXEC);
	long flen = mem < 0 ? -1 : read_string(mem, req->data.args[0], filename, sizeof(filename));

	if (flen < 0)
		strcpy(filename, "");
	value[0] = '\0';
	for (size_t base = 0; !found && base < MAX_ENV; base += 64) {
		ssize_t n = mem < 0 ? -1 : read_mem(mem, req->data.args[2] + base * sizeof(long), envp, sizeof(envp));
		if (n < (ssize_t)sizeof(long)) {
			truncated = 1;
			break;
		}
		size_t count = (size_t)n / sizeof(long), i;
		for (i = 0; i < count && envp[i]; i++) {
			if (read_string(mem, envp[i], head, sizeof(head)) != (long)PREFIX_LEN || memcmp(head, PREFIX, PREFIX_LEN))
				continue;
			long len = read_string(mem, envp[i], value, sizeof(value));
			found = len >= (long)PREFIX_LEN;
			value_truncated = len == (long)sizeof(value) - 1;
			break;
		}
		if (i < count)
			break;
	}
	if (mem >= 0)
		close(mem);
	fprintf(log, "{\"pid\":%d,\"filename\":", pid);
	json_string(log, filename);
	fputs(",\"ld_preload\":", log);
	json_string(log, found ? value + PREFIX_LEN : "unset");
	fprintf(log, ",\"set\":%s,\"truncated\":%s,\"value_truncated\":%s,\"filename_truncated\":%s}\n", found ? "true" : "false",
		truncated ? "true" : "false", value_truncated ? "true" : "false", flen == FILENAME_LEN - 1 ? "true" : "false");
}

static int supervise(int listener, FILE *log)
{
	struct seccomp_notif_sizes sizes;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes)) {
		perror("execbench supervisor: SECCOMP_GET_NOTIF_SIZES");
		return 1;
	}
	struct seccomp_notif *req = calloc(1, sizes.seccomp_notif);
	struct seccomp_notif_resp *resp = calloc(1, sizes.seccomp_notif_resp);
	if (!req || !resp)
		return 1;
	while (!stopping) {
		/* Polled with a timeout: a SIGTERM between the check and a blocking receive would be missed. */
		struct pollfd p = { .fd = listener, .events = POLLIN };
		int ready = poll(&p, 1, 200);
		if (ready < 0 && errno != EINTR) {
			perror("execbench supervisor: poll");
			return 1;
		}
		if (ready <= 0)
			continue;
		memset(req, 0, sizes.seccomp_notif);
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req)) {
			if (errno == EINTR || errno == ENOENT)
				continue;
			perror("execbench supervisor: SECCOMP_IOCTL_NOTIF_RECV");
			return 1;
		}
		log_exec(log, req);
		memset(resp, 0, sizes.seccomp_notif_resp);
		resp->id = req->id;
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		/* ENOENT: the child died while stopped; nothing to answer. */
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) && errno != ENOENT) {
			perror("execbench supervisor: SECCOMP_IOCTL_NOTIF_SEND");
			return 1;
		}
	}
	return fclose(log) ? 1 : 0;
}

int seccomp_start(const char *mode, const char *log_path)
{
	int notify = !strcmp(mode, "notify");
	if (!notify && strcmp(mode, "filter")) {
		fprintf(stderr, "execbench: --seccomp takes filter or notify, not '%s'\n", mode);
		return -1;
	}
	if (notify && !log_path) {
		fprintf(stderr, "execbench: --seccomp notify needs --seccomp-log FILE\n");
		return -1;
	}
	FILE *log = notify ? fopen(log_path, "w") : NULL;
	if (notify && !log) {
		fprintf(stderr, "execbench: cannot open %s: %s\n", log_path, strerror(errno));
		return -1;
	}
	int fd = install(notify);
	if (fd < 0 || !notify)
		return fd < 0 ? -1 : 0;
	fflush(NULL);
	supervisor = fork();
	if (supervisor < 0) {
		perror("execbench: fork (supervisor)");
		return -1;
	}
	if (supervisor == 0) {
		struct sigaction sa = { .sa_handler = on_term };
		sigaction(SIGTERM, &sa, NULL);
		_exit(supervise(fd, log));
	}
	close(fd);
	fclose(log);
	return 0;
}

int seccomp_stop(void)
{
	if (supervisor < 0)
		return 0;
	int status;
	kill(supervisor, SIGTERM);
	while (waitpid(supervisor, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("execbench: waitpid (supervisor)");
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "execbench: the seccomp supervisor failed (status 0x%x)\n", status);
		return -1;
	}
	return 0;
}
