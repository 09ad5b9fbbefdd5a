/*
 * See seccomp.h. The supervisor is forked after the filter is installed, so
 * it shares the listener; it never execs, so the filter never stops it.
 *
 * Where the filter's result depends on the architecture and the syscall
 * number alone, as here, 6.12 precomputes it per syscall of x86-64 and of
 * i386 (the "constant action bitmap", 5.11+), and syscalls other than the
 * exec entry points then skip the filter entirely: what "filter" measures is
 * that fast path, which is what such a filter costs today. (x32's numbers lie
 * above the bitmap and always run the filter; guest kernels have no x32.)
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
/*
 * How many environment pointers the supervisor reads at most. The kernel
 * takes at most 6 MB of strings and their pointers (a quarter of the stack
 * rlimit, 8 bytes a pointer), fewer than 700000 pointers: no exec that can
 * succeed passes more.
 */
#define MAX_ENV (1 << 20)
/* Environment pointers read at once. */
#define ENV_CHUNK 512

/* The exec entry points of the ABIs other than x86-64's (asm/unistd_32.h and unistd_x32.h). */
#define X32_EXECVE (__X32_SYSCALL_BIT | 520)
#define X32_EXECVEAT (__X32_SYSCALL_BIT | 545)
#define I386_EXECVE 11
#define I386_EXECVEAT 358

static pid_t supervisor = -1;
static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/*
 * Every exec entry point goes to the supervisor with notify, and is allowed
 * with filter. Any other architecture is killed with notify (a supervisor
 * that must see every exec cannot let an ABI it does not know through; no
 * x86 process reports one) and allowed with filter.
 */
static int install(int notify)
{
	__u32 exec = notify ? SECCOMP_RET_USER_NOTIF : SECCOMP_RET_ALLOW;
	__u32 unknown = notify ? SECCOMP_RET_KILL_PROCESS : SECCOMP_RET_ALLOW;
	struct sock_filter code[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 2, 0),
		/* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 7, 0),
		/* 3 */ BPF_STMT(BPF_RET | BPF_K, unknown),
		/* 4: x86-64 and x32 */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 8, 0),
		/* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execveat, 7, 0),
		/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, X32_EXECVE, 6, 0),
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, X32_EXECVEAT, 5, 0),
		/* 9 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 10: i386 */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, I386_EXECVE, 2, 0),
		/* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, I386_EXECVEAT, 1, 0),
		/* 13 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 14 */ BPF_STMT(BPF_RET | BPF_K, exec),
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

/* An exec entry point, told apart by the notification's arch and nr. */
struct exec_call {
	__u32 arch;
	int nr;
	const char *name;
	/* The path's argument; argv and envp follow it. */
	int path_arg;
	/* i386 and x32 pass arrays of 4-byte pointers. */
	size_t ptr_size;
	/* i386's arguments are 32 bits; the registers seccomp reports may hold more (int $0x80 from 64-bit code). */
	int args32;
};

static const struct exec_call exec_calls[] = {
	{ AUDIT_ARCH_X86_64, __NR_execve, "execve", 0, 8, 0 },
	{ AUDIT_ARCH_X86_64, __NR_execveat, "execveat", 1, 8, 0 },
	{ AUDIT_ARCH_X86_64, X32_EXECVE, "execve", 0, 4, 0 },
	{ AUDIT_ARCH_X86_64, X32_EXECVEAT, "execveat", 1, 4, 0 },
	{ AUDIT_ARCH_I386, I386_EXECVE, "execve", 0, 4, 1 },
	{ AUDIT_ARCH_I386, I386_EXECVEAT, "execveat", 1, 4, 1 },
};

static const struct exec_call *decode(const struct seccomp_data *d)
{
	for (size_t i = 0; i < sizeof(exec_calls) / sizeof(exec_calls[0]); i++)
		if (exec_calls[i].arch == d->arch && exec_calls[i].nr == d->nr)
			return &exec_calls[i];
	return NULL;
}

static unsigned long arg(const struct seccomp_data *d, const struct exec_call *c, int i)
{
	return c->args32 ? (unsigned long)(__u32)d->args[i] : (unsigned long)d->args[i];
}

static unsigned long pointer_at(const unsigned char *buf, size_t i, size_t ptr_size)
{
	if (ptr_size == 4) {
		__u32 p;
		memcpy(&p, buf + i * 4, 4);
		return p;
	}
	__u64 p;
	memcpy(&p, buf + i * 8, 8);
	return (unsigned long)p;
}

/*
 * The address of the environment's last LD_PRELOAD string, the one glibc's
 * loader uses, or 0; *ended says whether the NULL that ends envp was read.
 */
static unsigned long last_preload(int mem, unsigned long envp, size_t ptr_size, int *ended)
{
	unsigned char buf[ENV_CHUNK * 8];
	char head[PREFIX_LEN + 1];
	unsigned long last = 0;
	*ended = 0;
	for (size_t i = 0; i < MAX_ENV;) {
		size_t want = MAX_ENV - i < ENV_CHUNK ? MAX_ENV - i : ENV_CHUNK;
		/* A short read stops where envp's memory does; what it got is used. */
		ssize_t n = read_mem(mem, envp + i * ptr_size, buf, want * ptr_size);
		if (n < (ssize_t)ptr_size)
			return last;
		for (size_t j = 0; j < (size_t)n / ptr_size; j++, i++) {
			unsigned long p = pointer_at(buf, j, ptr_size);
			if (!p) {
				*ended = 1;
				return last;
			}
			if (read_string(mem, p, head, sizeof(head)) == (long)PREFIX_LEN && !memcmp(head, PREFIX, PREFIX_LEN))
				last = p;
		}
	}
	return last;
}

/* Whether the notification still waits for an answer: if not, its pid may name another process by now. */
static int still_valid(int listener, __u64 id)
{
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/*
 * One exec: the path and LD_PRELOAD, read from the child's memory while it
 * is stopped in the exec. Between this read and the kernel's own, another
 * thread of the child could change the strings (the talk's TOCTTOU point):
 * a supervisor can log what it saw, not what ran. The path is logged as
 * given: execveat's, if relative, is relative to its dirfd, not resolved.
 * Returns 1 once logged, 0 if the notification went stale first (nothing
 * logged), -1 for a syscall that is no exec.
 */
static int log_exec(int listener, FILE *log, const struct seccomp_notif *req)
{
	pid_t pid = (pid_t)req->pid;
	char filename[FILENAME_LEN], value[VALUE_LEN + PREFIX_LEN], path[32];
	int found = 0, ended = 0, value_truncated = 0;
	long flen = -1;

	const struct exec_call *call = decode(&req->data);
	if (!call) {
		fprintf(stderr, "execbench supervisor: notified of syscall %d of arch 0x%x, which is no exec\n", req->data.nr,
			req->data.arch);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	int mem = open(path, O_RDONLY | O_CLOEXEC);
	if (!still_valid(listener, req->id)) {
		if (mem >= 0)
			close(mem);
		return 0;
	}
	value[0] = '\0';
	if (mem >= 0) {
		flen = read_string(mem, arg(&req->data, call, call->path_arg), filename, sizeof(filename));
		unsigned long at = last_preload(mem, arg(&req->data, call, call->path_arg + 2), call->ptr_size, &ended);
		long len = at ? read_string(mem, at, value, sizeof(value)) : -1;
		found = len >= (long)PREFIX_LEN;
		value_truncated = len == (long)sizeof(value) - 1;
		close(mem);
	}
	if (flen < 0)
		strcpy(filename, "");
	if (!still_valid(listener, req->id))
		return 0;
	fprintf(log, "{\"pid\":%d,\"call\":\"%s\",\"filename\":", pid, call->name);
	json_string(log, filename);
	fputs(",\"ld_preload\":", log);
	json_string(log, found ? value + PREFIX_LEN : "unset");
	fprintf(log, ",\"set\":%s,\"truncated\":%s,\"value_truncated\":%s,\"filename_truncated\":%s}\n", found ? "true" : "false",
		ended ? "false" : "true", value_truncated ? "true" : "false", flen == FILENAME_LEN - 1 ? "true" : "false");
	return 1;
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
	long stale = 0;
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
		int logged = log_exec(listener, log, req);
		if (logged < 0)
			return 1;
		/* Stale: the exec is gone (its process killed), and no one waits for an answer. */
		if (!logged) {
			stale++;
			continue;
		}
		memset(resp, 0, sizes.seccomp_notif_resp);
		resp->id = req->id;
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		/* ENOENT: the child died while stopped; nothing to answer. */
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) && errno != ENOENT) {
			perror("execbench supervisor: SECCOMP_IOCTL_NOTIF_SEND");
			return 1;
		}
	}
	if (stale)
		fprintf(stderr, "execbench supervisor: %ld stale notifications (the exec's process was gone before it was logged; neither logged nor answered)\n",
			stale);
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
