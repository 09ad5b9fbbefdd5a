// SPDX-License-Identifier: GPL-2.0
/*
 * Loader and logger for krsi_exec_record.bpf.c: one JSON line per exec in the
 * log file (-o), with what audit's execve rule records for it (SYSCALL,
 * EXECVE, CWD, PATH item 0; PROCTITLE is argv joined by NULs) and LD_PRELOAD.
 *
 * Each line is put together in memory and written with write(2) as soon as
 * its exec's records have all come, as auditd writes each record by default
 * (flush = INCREMENTAL_ASYNC). With -B the program wakes the logger only once
 * wakeup_bytes are waiting (or -T milliseconds have passed), and everything
 * drained is written in one write(2).
 *
 * The ring buffer is opened before the program is attached, so that no exec
 * between the two goes unseen; "attached" on stdout says it is in place. On
 * SIGINT or SIGTERM the program is detached and the ring buffer drained, then
 * the totals go to stdout as one JSON line: lines written (events), what the
 * program emitted, dropped, left incomplete or filtered out, the write(2)
 * calls, and the delay from the hook's bpf_ktime_get_ns() to the return of
 * the write(2) that put the exec's line in the file (both CLOCK_MONOTONIC).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "loader.h"
#include "json.h"
#include "krsi_exec_record.h"
#include "krsi_exec_record.skel.h"

/* bpf_loop()'s bound, as in env_walk.bpf.h. */
#define MAX_STEPS (1ul << 23)
/* Execs whose xr_more records are still to come: about one per CPU, as other CPUs' records come between. */
#define OPEN_EXECS 16

/*
 * Ring buffer sizes. Unbatched, the program wakes the logger whenever it has
 * caught up (the kernel's adaptive notification, which
 * Documentation/bpf/ringbuf.rst deems adequate for most applications), so
 * the buffer holds only what comes while the logger runs: 1 MiB, as
 * krsi_ld_preload's. Batched (BPF_RB_NO_WAKEUP and BPF_RB_FORCE_WAKEUP, which
 * the same document offers for more efficient batched notifications), it
 * holds a batch and whatever comes until the logger has drained it: 4 MiB,
 * the size of Tracee's default perf buffer (1024 pages, per CPU); Falco's
 * modern probe defaults to 8 MB per buffer, one buffer per two CPUs. The
 * wake-up threshold, 64 KiB, is a sixty-fourth of that: about 36 execs per
 * write(2) (an xr_exec takes 1792 bytes of ring), and 63 more batches of
 * room for a late logger before the program drops.
 */
#define RINGBUF_BYTES (1ll << 20)
#define RINGBUF_BYTES_BATCHED (4ll << 20)
#define WAKEUP_BYTES (64ll << 10)
#define BATCH_TIMEOUT_MS 100

struct open_exec {
	int open;
	unsigned long long opened;
	unsigned int more;        /* xr_more records still to come */
	struct xr_exec e;
	char *args;
	size_t args_have, args_cap;
	/* Paths sent in xr_more records, and their errors. */
	char filename[XR_MORE_LEN], exe[XR_MORE_LEN], cwd[XR_MORE_LEN];
	int has_filename, has_exe, has_cwd, exe_err, cwd_err;
};

struct logger {
	int fd;
	const char *path;
	FILE *mem;                /* the lines not yet written */
	char *mem_buf;
	size_t mem_size;
	unsigned long long lines; /* in mem */
	unsigned long long events, writes, orphans, opened;
	/* delays (ns), one per line written; a line's ktime_ns until its write(2) returns */
	unsigned long long *delays;
	size_t ndelays, delays_cap;
	int err;
	struct open_exec open[OPEN_EXECS];
};

static const char *json_bool(int b)
{
	return b ? "true" : "false";
}

static void fail(struct logger *l, const char *what, int err)
{
	if (!l->err)
		fprintf(stderr, "krsi_exec_record: %s %s: %s\n", what, l->path, strerror(err));
	l->err = -err;
}

/* Writes the lines in memory with write(2) and takes their delays once it has returned. */
static int flush_lines(struct logger *l)
{
	struct timespec ts;

	if (!l->lines || l->err)
		return l->err;
	if (fflush(l->mem)) {
		fail(l, "out of memory for the lines of", ENOMEM);
		return l->err;
	}
	const char *p = l->mem_buf;
	size_t left = ftello(l->mem);
	while (left) {
		ssize_t n = write(l->fd, p, left);
		l->writes++;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail(l, "writing", errno);
			return l->err;
		}
		p += n;
		left -= n;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	unsigned long long now = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	for (size_t i = l->ndelays - l->lines; i < l->ndelays; i++)
		l->delays[i] = now > l->delays[i] ? now - l->delays[i] : 0;
	l->events += l->lines;
	l->lines = 0;
	fseeko(l->mem, 0, SEEK_SET);
	return 0;
}

/* A path field: the path, audit's "<too_long>" when even PATH_MAX could not hold it, null when not sent. */
static void json_path(FILE *out, const char *key, const char *inline_path, int len, const char *more, int has_more, int more_err)
{
	fprintf(out, ",\"%s\":", key);
	if (len >= 0)
		json_string(out, inline_path, XR_PATH_INLINE);
	else if (has_more && !more_err)
		json_string(out, more, XR_MORE_LEN);
	else if (has_more && more_err == -ENAMETOOLONG)
		fputs("\"<too_long>\"", out);
	else
		fputs("null", out);
}

/* Puts an exec's line in memory; o holds what came in its xr_more records, or is NULL when there were none. */
static void put_line(struct logger *l, const struct xr_exec *e, const struct open_exec *o)
{
	FILE *out = l->mem;
	const char *args = o ? o->args : e->args;
	size_t have = o ? o->args_have : e->args_inline;
	int args_cut = (e->flags & XR_ARGS_CUT) || have < e->args_len;
	/* An xr_more that was sent but did not come: its exec was finished before (new_open, or the end). */
	int path_cut = (e->flags & XR_PATH_CUT) || (e->exe_len == -ENAMETOOLONG && !(o && o->has_exe)) ||
		       (e->cwd_len == -ENAMETOOLONG && !(o && o->has_cwd));
	int filename_cut = (e->flags & XR_FILENAME_CUT) || ((e->flags & XR_FILENAME_MORE) && !(o && o->has_filename));

	fprintf(out, "{\"pid\":%u,\"ppid\":%u,\"uid\":%u,\"gid\":%u,\"euid\":%u,\"suid\":%u,\"fsuid\":%u,\"egid\":%u,\"sgid\":%u,\"fsgid\":%u"
		     ",\"auid\":%u,\"ses\":%u,\"tty\":",
		e->pid, e->ppid, e->uid, e->gid, e->euid, e->suid, e->fsuid, e->egid, e->sgid, e->fsgid, e->auid, e->ses);
	if (e->flags & XR_HAS_TTY)
		json_string(out, e->tty, sizeof(e->tty));
	else
		fputs("\"(none)\"", out);
	fputs(",\"comm\":", out);
	json_string(out, e->comm, sizeof(e->comm));
	json_path(out, "exe", e->exe, e->exe_len, o ? o->exe : NULL, o && o->has_exe, o ? o->exe_err : 0);
	/* At bprm_committed_creds the exec cannot fail any more: audit logs it success=yes exit=0. */
	fprintf(out, ",\"arch\":\"%x\",\"syscall\":%d,\"success\":\"yes\",\"exit\":0,\"a0\":\"%llx\",\"a1\":\"%llx\",\"a2\":\"%llx\",\"a3\":\"%llx\""
		     ",\"argc\":%u,\"argv\":[",
		e->arch, e->syscall, e->a[0], e->a[1], e->a[2], e->a[3], e->argc);
	size_t pos = 0;
	for (unsigned int i = 0; i < e->argc && pos < have; i++) {
		if (i)
			fputc(',', out);
		json_string(out, args + pos, have - pos);
		pos += strnlen(args + pos, have - pos) + 1;
	}
	fputc(']', out);
	json_path(out, "cwd", e->cwd, e->cwd_len, o ? o->cwd : NULL, o && o->has_cwd, o ? o->cwd_err : 0);
	fputs(",\"filename\":", out);
	if (o && o->has_filename)
		json_string(out, o->filename, sizeof(o->filename));
	else
		json_string(out, e->filename, sizeof(e->filename));
	fprintf(out, ",\"inode\":%llu,\"dev\":\"%02x:%02x\",\"mode\":\"%#o\",\"ouid\":%u,\"ogid\":%u,\"rdev\":\"%02x:%02x\",\"ld_preload\":", e->inode,
		e->dev >> 20, e->dev & 0xfffff, e->mode, e->ouid, e->ogid, e->rdev >> 20, e->rdev & 0xfffff);
	if (e->flags & XR_LD_PRELOAD_SET)
		json_string(out, e->ld_preload, sizeof(e->ld_preload));
	else
		fputs("\"unset\"", out);
	fprintf(out, ",\"set\":%s,\"preloads\":%u,\"truncated\":%s,\"args_truncated\":%s,\"value_truncated\":%s,\"filename_truncated\":%s,\"ktime_ns\":%llu}\n",
		json_bool(e->flags & XR_LD_PRELOAD_SET), e->preloads, json_bool((e->flags & XR_ENV_INCOMPLETE) || args_cut || path_cut),
		json_bool(args_cut), json_bool(e->flags & XR_VALUE_TRUNCATED), json_bool(filename_cut), e->ktime_ns);

	if (l->ndelays == l->delays_cap) {
		size_t cap = l->delays_cap ? 2 * l->delays_cap : 4096;
		unsigned long long *grown = realloc(l->delays, cap * sizeof(*grown));
		if (!grown) {
			fail(l, "out of memory for the delays of", ENOMEM);
			return;
		}
		l->delays = grown;
		l->delays_cap = cap;
	}
	l->delays[l->ndelays++] = e->ktime_ns;
	l->lines++;
}

static void finish(struct logger *l, struct open_exec *o)
{
	if (!o->open)
		return;
	put_line(l, &o->e, o);
	o->open = 0;
}

static struct open_exec *find_open(struct logger *l, unsigned int pid, unsigned long long ktime_ns)
{
	for (int i = 0; i < OPEN_EXECS; i++)
		if (l->open[i].open && l->open[i].e.pid == pid && l->open[i].e.ktime_ns == ktime_ns)
			return &l->open[i];
	return NULL;
}

/* A slot for an exec whose xr_more records are to come: a free one, or the oldest, finished as it is. */
static struct open_exec *new_open(struct logger *l)
{
	struct open_exec *oldest = &l->open[0];

	for (int i = 0; i < OPEN_EXECS; i++) {
		if (!l->open[i].open)
			return &l->open[i];
		if (l->open[i].opened < oldest->opened)
			oldest = &l->open[i];
	}
	finish(l, oldest);
	return oldest;
}

/* Keeps argv bytes at offset; only what follows on from those already here counts. */
static void keep_args(struct logger *l, struct open_exec *o, unsigned int offset, const char *data, size_t len)
{
	if (offset != o->args_have || offset >= o->e.args_len)
		return;
	if (len > o->e.args_len - offset)
		len = o->e.args_len - offset;
	if (offset + len > o->args_cap) {
		size_t cap = o->args_cap ? o->args_cap : 8192;
		while (cap < offset + len)
			cap *= 2;
		char *grown = realloc(o->args, cap);
		if (!grown) {
			fail(l, "out of memory for the arguments of an exec logged to", ENOMEM);
			return;
		}
		o->args = grown;
		o->args_cap = cap;
	}
	memcpy(o->args + offset, data, len);
	o->args_have = offset + len;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct logger *l = ctx;
	unsigned int kind = size >= sizeof(unsigned int) ? *(unsigned int *)data : 0;

	if (kind == XR_EXEC && size >= sizeof(struct xr_exec)) {
		const struct xr_exec *e = data;
		if (e->more == 0) {
			put_line(l, e, NULL);
		} else {
			struct open_exec *o = new_open(l);
			o->open = 1;
			o->opened = ++l->opened;
			o->more = e->more;
			o->e = *e;
			o->args_have = 0;
			o->has_filename = o->has_exe = o->has_cwd = 0;
			o->exe_err = o->cwd_err = 0;
			keep_args(l, o, 0, e->args, e->args_inline);
			if (l->err)
				return l->err;
		}
	} else if (kind == XR_MORE && size >= sizeof(struct xr_more)) {
		const struct xr_more *r = data;
		struct open_exec *o = find_open(l, r->pid, r->ktime_ns);
		if (!o) {
			/* Its exec's slot was taken for a newer one, which finished it as it was. */
			l->orphans++;
			return 0;
		}
		size_t len = r->len < sizeof(r->data) ? r->len : sizeof(r->data);
		switch (r->field) {
		case XR_FIELD_ARGV:
			keep_args(l, o, r->offset, r->data, len);
			break;
		case XR_FIELD_FILENAME:
			memcpy(o->filename, r->data, sizeof(o->filename));
			o->has_filename = 1;
			break;
		case XR_FIELD_EXE:
			memcpy(o->exe, r->data, sizeof(o->exe));
			o->has_exe = 1;
			o->exe_err = r->err;
			break;
		case XR_FIELD_CWD:
			memcpy(o->cwd, r->data, sizeof(o->cwd));
			o->has_cwd = 1;
			o->cwd_err = r->err;
			break;
		}
		if (--o->more == 0)
			finish(l, o);
	}
	if (l->err)
		return l->err;
	return 0;
}

/* Unbatched: each line is written as soon as it is complete. */
static int on_record_unbatched(void *ctx, void *data, size_t size)
{
	struct logger *l = ctx;
	int err = on_record(ctx, data, size);

	return err ? err : flush_lines(l);
}

static int cmp_u64(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile of the sorted delays, or null when there are none. */
static void print_percentile(const char *key, const unsigned long long *sorted, size_t n, unsigned int pct)
{
	if (!n) {
		printf(",\"%s\":null", key);
		return;
	}
	size_t rank = (n * pct + 99) / 100;
	printf(",\"%s\":%llu", key, sorted[rank ? rank - 1 : 0]);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: krsi_exec_record [-v] [-s] [-B] [-T MS] [-w BYTES] [-l STEPS] [-b RINGBUF_BYTES] -o LOGFILE\n"
		     "  -o LOGFILE  one JSON line per exec: audit's execve record fields, argv, cwd, PATH item 0 and LD_PRELOAD\n"
		     "  -s          log only execs that have LD_PRELOAD set (and those whose environment could not be read to its end)\n"
		     "  -B          batched: wake the logger only once BYTES are waiting (-w, default 64 KiB) or MS have passed\n"
		     "              (-T, default 100), and write what it drained in one write(2)\n"
		     "  -l STEPS    read at most this many chunks of an exec's strings (default: all the kernel allows)\n"
		     "  -b BYTES    ring buffer size, a power of two of at least 4096 (default 1 MiB, 4 MiB with -B)\n"
		     "  -v          libbpf debug output\n");
}

/* A number option: the value, or -1 when not a whole number. */
static long long number(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v > (1ull << 40))
		return -1;
	return v;
}

int main(int argc, char **argv)
{
	static struct logger l;
	int only_set = 0, batched = 0, opt, err = 0;
	/* 0: not given */
	long long max_steps = 0, ringbuf_bytes = 0, wakeup_bytes = 0, timeout_ms = BATCH_TIMEOUT_MS;
	struct krsi_exec_record_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;

	while ((opt = getopt(argc, argv, "vsBT:w:l:b:o:h")) != -1) {
		switch (opt) {
		case 'v': verbose = 1; break;
		case 's': only_set = 1; break;
		case 'B': batched = 1; break;
		case 'T': timeout_ms = number(optarg); break;
		case 'w': wakeup_bytes = number(optarg); wakeup_bytes = wakeup_bytes ? wakeup_bytes : -1; break;
		case 'l': max_steps = number(optarg); max_steps = max_steps ? max_steps : -1; break;
		case 'b': ringbuf_bytes = number(optarg); ringbuf_bytes = ringbuf_bytes ? ringbuf_bytes : -1; break;
		case 'o': l.path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!ringbuf_bytes)
		ringbuf_bytes = batched ? RINGBUF_BYTES_BATCHED : RINGBUF_BYTES;
	if (!wakeup_bytes)
		wakeup_bytes = WAKEUP_BYTES < ringbuf_bytes ? WAKEUP_BYTES : ringbuf_bytes;
	const char *bad = !l.path ? "-o LOGFILE is required"
			  : optind < argc ? "unexpected argument"
			  : ringbuf_bytes < 4096 || (ringbuf_bytes & (ringbuf_bytes - 1)) || ringbuf_bytes > (1ll << 30) ? "-b must be a power of two from 4096 to 1 GiB"
			  : max_steps < 0 || (unsigned long long)max_steps > MAX_STEPS ? "-l must be from 1 to 8388608"
			  : timeout_ms < 1 || timeout_ms > 60000 ? "-T must be from 1 to 60000 ms"
			  : wakeup_bytes < 1 || wakeup_bytes > ringbuf_bytes ? "-w must be from 1 to the ring buffer's size"
			  : NULL;
	if (bad) {
		fprintf(stderr, "krsi_exec_record: %s\n", bad);
		usage(stderr);
		return 2;
	}
	loader_init();

	l.fd = open(l.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (l.fd < 0) {
		fprintf(stderr, "krsi_exec_record: cannot open %s: %s\n", l.path, strerror(errno));
		return 1;
	}
	l.mem = open_memstream(&l.mem_buf, &l.mem_size);
	if (!l.mem) {
		fprintf(stderr, "krsi_exec_record: cannot open a memory stream: %s\n", strerror(errno));
		return 1;
	}
	skel = krsi_exec_record_bpf__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "krsi_exec_record: cannot open BPF skeleton: %s\n", strerror(errno));
		goto cleanup;
	}
	skel->rodata->only_set = only_set;
	skel->rodata->batched = batched;
	skel->rodata->wakeup_bytes = wakeup_bytes;
	if (max_steps)
		skel->rodata->max_steps = max_steps;
	bpf_map__set_max_entries(skel->maps.rb, ringbuf_bytes);
	err = krsi_exec_record_bpf__load(skel);
	if (err) {
		fprintf(stderr, "krsi_exec_record: BPF program failed to load (verifier log above): %s\n", strerror(-err));
		goto cleanup;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.rb), batched ? on_record : on_record_unbatched, &l, NULL);
	if (!rb) {
		err = -errno;
		fprintf(stderr, "krsi_exec_record: cannot open ring buffer: %s\n", strerror(errno));
		goto cleanup;
	}
	err = krsi_exec_record_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "krsi_exec_record: cannot attach to bprm_committed_creds: %s\n", strerror(-err));
		goto cleanup;
	}
	printf("attached\n");
	fflush(stdout);

	if (!batched) {
		err = poll_until_stopped("krsi_exec_record", rb);
	} else {
		/* The program wakes the logger only for a full batch: after a timeout the ring buffer is read all the same. */
		while (!stopping) {
			err = ring_buffer__poll(rb, timeout_ms);
			if (err == -EINTR)
				break;
			if (err >= 0)
				err = ring_buffer__consume(rb);
			if (err >= 0)
				err = flush_lines(&l);
			if (err < 0)
				break;
		}
		if (err == -EINTR)
			err = 0;
	}
	if (err < 0) {
		if (!l.err)
			fprintf(stderr, "krsi_exec_record: reading the ring buffer: %s\n", strerror(-err));
		goto cleanup;
	}
	/* Detached first, so that no exec after the last read is emitted and left unlogged. */
	krsi_exec_record_bpf__detach(skel);
	err = ring_buffer__consume(rb);
	for (int i = 0; i < OPEN_EXECS && err >= 0 && !l.err; i++)
		finish(&l, &l.open[i]);
	if (err >= 0)
		err = flush_lines(&l);
	if (err < 0) {
		if (!l.err)
			fprintf(stderr, "krsi_exec_record: reading the ring buffer: %s\n", strerror(-err));
		goto cleanup;
	}
	err = 0;

	qsort(l.delays, l.ndelays, sizeof(*l.delays), cmp_u64);
	printf("{\"events\":%llu,\"dropped\":%llu,\"emitted\":%llu,\"incomplete\":%llu,\"filtered\":%llu,\"writes\":%llu", l.events,
	       (unsigned long long)skel->bss->dropped, (unsigned long long)skel->bss->emitted, (unsigned long long)skel->bss->incomplete,
	       (unsigned long long)skel->bss->filtered, l.writes);
	print_percentile("delay_p50_ns", l.delays, l.ndelays, 50);
	print_percentile("delay_p99_ns", l.delays, l.ndelays, 99);
	print_percentile("delay_max_ns", l.delays, l.ndelays, 100);
	printf(",\"cut\":%llu,\"orphans\":%llu}\n", (unsigned long long)skel->bss->cut, l.orphans);

cleanup:
	ring_buffer__free(rb);
	krsi_exec_record_bpf__destroy(skel);
	if (close(l.fd) != 0 && !err) {
		fprintf(stderr, "krsi_exec_record: writing %s: %s\n", l.path, strerror(errno));
		err = -EIO;
	}
	return err ? 1 : 0;
}
