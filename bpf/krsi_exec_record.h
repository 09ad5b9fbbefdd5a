/*
 * What krsi_exec_record.bpf.c sends and krsi_exec_record.c logs: per exec,
 * what audit's execve rule writes in its SYSCALL, EXECVE, CWD, PATH and
 * PROCTITLE records, plus LD_PRELOAD. Plain C types only.
 *
 * One exec is one struct xr_exec, then as many struct xr_more as its `more`
 * says, with the same pid and ktime_ns: the argv bytes beyond args_inline,
 * and a filename, exe or cwd too long for its field here. The program
 * reserves the xr_exec first and submits it last, so that its xr_more
 * records, reserved after it, come after it in the ring buffer and are all
 * submitted by the time the logger reads it. Records of other execs (other
 * CPUs) may come between them.
 */
#ifndef KRSI_EXEC_RECORD_H
#define KRSI_EXEC_RECORD_H

#define XR_COMM_LEN 16
/* tty_struct's name. */
#define XR_TTY_LEN 64
/* A filename, exe or cwd longer than this goes whole in an xr_more. */
#define XR_PATH_INLINE 256
#define XR_VALUE_LEN 256
#define XR_ARGS_INLINE 512
/* argv bytes per xr_more. */
#define XR_ARGS_CHUNK 4096
/* At least PATH_MAX + 11, the buffer audit_log_d_path resolves a path into (room for " (deleted)"). */
#define XR_MORE_LEN 4112

enum xr_kind { XR_EXEC = 1, XR_MORE = 2 };

enum xr_field { XR_FIELD_ARGV = 0, XR_FIELD_FILENAME = 1, XR_FIELD_EXE = 2, XR_FIELD_CWD = 3 };

/* xr_exec.flags */
/* The walk over argv and envp stopped before the environment's end (env_walk.bpf.h). */
#define XR_ENV_INCOMPLETE (1u << 0)
/* Not every argv byte was sent: the walk stopped inside argv, a read failed or an xr_more was refused. */
#define XR_ARGS_CUT (1u << 1)
/* The filename is longer than its field: it follows whole in an xr_more, */
#define XR_FILENAME_MORE (1u << 7)
/* or, that xr_more refused, is cut: the field holds its start. */
#define XR_FILENAME_CUT (1u << 2)
/* The exe or the cwd could not be sent (its xr_more refused, or bpf_d_path failed but for length). */
#define XR_PATH_CUT (1u << 3)
/* The environment sets LD_PRELOAD (ld_preload holds the last value), */
#define XR_LD_PRELOAD_SET (1u << 4)
/* and that value is longer than ld_preload: it was cut. */
#define XR_VALUE_TRUNCATED (1u << 5)
/* The task has a controlling tty, named in tty. */
#define XR_HAS_TTY (1u << 6)

struct xr_exec {
	unsigned int kind;      /* XR_EXEC */
	unsigned int pid;       /* tgid */
	unsigned long long ktime_ns; /* bpf_ktime_get_ns() as the hook began: CLOCK_MONOTONIC */
	/* SYSCALL */
	unsigned int arch;      /* AUDIT_ARCH_* */
	int syscall;            /* orig_ax: 59 execve, 322 execveat (11 and 358 for i386) */
	unsigned long long a[4]; /* the syscall's first four arguments */
	unsigned int ppid;
	unsigned int uid, gid, euid, suid, fsuid, egid, sgid, fsgid;
	unsigned int auid, ses; /* 4294967295 where the kernel has no CONFIG_AUDIT */
	/* EXECVE */
	unsigned int argc;
	unsigned int args_len;  /* argv bytes, NULs included, as the walk found them */
	unsigned int args_inline; /* of which in args here; the rest in xr_more records */
	/* PATH item 0 */
	unsigned long long inode;
	unsigned int dev, rdev; /* kernel dev_t: major << 20 | minor */
	unsigned int mode, ouid, ogid;
	/* bpf_d_path's result for exe and cwd: bytes with the NUL, or negative (-ENAMETOOLONG: in an xr_more) */
	int exe_len, cwd_len;
	unsigned int flags;     /* XR_* */
	unsigned int preloads;  /* LD_PRELOAD= strings in the environment; ld_preload is the last one's value */
	unsigned int more;      /* xr_more records that follow */
	unsigned int pad;
	char comm[XR_COMM_LEN];
	char tty[XR_TTY_LEN];
	char filename[XR_PATH_INLINE];
	char exe[XR_PATH_INLINE];
	char cwd[XR_PATH_INLINE];
	char ld_preload[XR_VALUE_LEN];
	char args[XR_ARGS_INLINE];
};

struct xr_more {
	unsigned int kind;      /* XR_MORE */
	unsigned int pid;
	unsigned long long ktime_ns;
	unsigned int field;     /* XR_FIELD_* */
	unsigned int offset;    /* XR_FIELD_ARGV: where data goes in the argv bytes */
	unsigned int len;       /* bytes in data (for a path or filename, with its NUL) */
	int err;                /* a path: bpf_d_path's error, 0 when data holds the path */
	char data[XR_MORE_LEN];
};

#endif
