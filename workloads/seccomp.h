/*
 * The seccomp alternatives of the krsi-design matrix, installed by execbench
 * on itself before the first sample so that every child it forks inherits
 * them (seccomp.c).
 */
#ifndef EXECBENCH_SECCOMP_H
#define EXECBENCH_SECCOMP_H

/*
 * "filter": a classic filter that checks the architecture and compares the
 * syscall number with the exec entry points (execve and execveat of x86-64,
 * x32 and i386), and allows everything.
 * "notify": the same filter answering those with SECCOMP_RET_USER_NOTIF (and
 * killing a process of any other architecture); a supervisor process reads
 * the exec's path and last LD_PRELOAD from the stopped child, writes one JSON
 * line to log_path, and lets the exec go on.
 * Returns 0, or prints why and returns -1.
 */
int seccomp_start(const char *mode, const char *log_path);

/* Stops the supervisor, if any, once its log is written; returns 0, or prints why and returns -1. */
int seccomp_stop(void);

#endif
