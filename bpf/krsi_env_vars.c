// SPDX-License-Identifier: GPL-2.0
/*
 * Loader and logger for krsi_env_vars.bpf.c: writes every variable of every
 * exec to the variables file (-V), one per line, and one JSON line per exec
 * to the log (-o) once all its variables have come: its filename, the number
 * of variables and their bytes (NULs counted, as in the exec's own strings),
 * and LD_PRELOAD's value as found among them, so that the guest checks it as
 * it checks krsi_ld_preload. The variables file is emptied when it passes
 * 16 MiB, as a log rotation would: the guest's tmpfs holds a few hundred
 * execs of 32 pages each otherwise.
 *
 * Execs on different CPUs write their records into the one ring buffer at
 * once, so the records of two execs interleave: the logger keeps the state of
 * each exec under way by pid, and writes its variables to the variables file
 * once they have all come.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "loader.h"
#include "json.h"
#include "krsi_env_vars.h"
#include "krsi_env_vars.skel.h"

#define ROTATE_BYTES (16L << 20)
#define PREFIX "LD_PRELOAD="
#define PREFIX_LEN (sizeof(PREFIX) - 1)
#define VALUE_LEN 256
/* Execs under way at once: one per CPU at most, but for an exec whose records were dropped. */
#define OPEN_EXECS 64

struct exec_state {
	int open;
	/* When it was opened, in headers received: the oldest is closed first when the table is full. */
	unsigned long long opened;
	unsigned int pid, envc, vars, filename_truncated;
	unsigned long long bytes;
	int failed, found, value_truncated;
	char filename[KRSI_ENV_FILENAME_LEN];
	/* The variable being received: its first bytes, enough to tell LD_PRELOAD and keep its value. */
	char head[PREFIX_LEN + VALUE_LEN + 1];
	size_t head_len;
	char value[VALUE_LEN + 1];
	/* Its variables, one per line, written out when the exec is finished. */
	char *text;
	size_t text_len, text_cap;
};

struct logger {
	FILE *log, *vars;
	struct exec_state open[OPEN_EXECS];
	unsigned long long execs, headers, orphans;
};

static void rotate_vars(struct logger *l)
{
	if (ftell(l->vars) > ROTATE_BYTES) {
		fflush(l->vars);
		if (ftruncate(fileno(l->vars), 0) == 0)
			rewind(l->vars);
	}
}

/* Appends to the exec's variables; 0, or -1 when out of memory (the exec is marked failed). */
static int keep_vars(struct exec_state *e, const char *data, size_t len)
{
	if (e->text_len + len > e->text_cap) {
		size_t cap = e->text_cap ? e->text_cap : 4096;
		while (cap < e->text_len + len)
			cap *= 2;
		char *grown = realloc(e->text, cap);
		if (!grown) {
			e->failed = 1;
			return -1;
		}
		e->text = grown;
		e->text_cap = cap;
	}
	memcpy(e->text + e->text_len, data, len);
	e->text_len += len;
	return 0;
}

static void finish_exec(struct logger *l, struct exec_state *e)
{
	if (!e->open)
		return;
	fwrite(e->text, 1, e->text_len, l->vars);
	rotate_vars(l);
	fprintf(l->log, "{\"pid\":%u,\"filename\":", e->pid);
	json_string(l->log, e->filename, sizeof(e->filename));
	fputs(",\"ld_preload\":", l->log);
	if (e->found)
		json_string(l->log, e->value, sizeof(e->value));
	else
		fputs("\"unset\"", l->log);
	fprintf(l->log, ",\"vars\":%u,\"bytes\":%llu,\"set\":%s,\"truncated\":%s,\"value_truncated\":%s,\"filename_truncated\":%s}\n", e->vars, e->bytes,
		e->found ? "true" : "false", e->failed || e->vars != e->envc ? "true" : "false", e->value_truncated ? "true" : "false",
		e->filename_truncated ? "true" : "false");
	e->open = 0;
	l->execs++;
}

static struct exec_state *find_exec(struct logger *l, unsigned int pid)
{
	for (int i = 0; i < OPEN_EXECS; i++)
		if (l->open[i].open && l->open[i].pid == pid)
			return &l->open[i];
	return NULL;
}

/* A slot for a new exec: a free one, or the oldest, which is finished as it is (its records were dropped). */
static struct exec_state *new_exec(struct logger *l)
{
	struct exec_state *oldest = &l->open[0];
	for (int i = 0; i < OPEN_EXECS; i++) {
		if (!l->open[i].open)
			return &l->open[i];
		if (l->open[i].opened < oldest->opened)
			oldest = &l->open[i];
	}
	finish_exec(l, oldest);
	return oldest;
}

static void end_variable(struct logger *l, struct exec_state *e)
{
	keep_vars(e, "\n", 1);
	e->vars++;
	if (e->head_len >= PREFIX_LEN && !memcmp(e->head, PREFIX, PREFIX_LEN)) {
		size_t n = e->head_len - PREFIX_LEN;
		e->value_truncated = n > VALUE_LEN - 1;
		if (n > VALUE_LEN - 1)
			n = VALUE_LEN - 1;
		memcpy(e->value, e->head + PREFIX_LEN, n);
		e->value[n] = '\0';
		e->found = 1;
	}
	e->head_len = 0;
	if (e->vars == e->envc)
		finish_exec(l, e);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct logger *l = ctx;
	unsigned int kind = size >= sizeof(unsigned int) ? *(unsigned int *)data : 0;

	if (kind == KRSI_ENV_HEADER && size >= sizeof(struct krsi_env_header)) {
		const struct krsi_env_header *h = data;
		/* The same pid exec'ing again before its last exec's variables all came: that one is logged as it is. */
		struct exec_state *e = find_exec(l, h->pid);
		if (e)
			finish_exec(l, e);
		else
			e = new_exec(l);
		char *text = e->text;
		size_t cap = e->text_cap;
		memset(e, 0, sizeof(*e));
		e->text = text;
		e->text_cap = cap;
		e->open = 1;
		e->opened = ++l->headers;
		e->pid = h->pid;
		e->envc = h->envc;
		e->filename_truncated = h->filename_truncated;
		memcpy(e->filename, h->filename, sizeof(e->filename));
		if (e->envc == 0)
			finish_exec(l, e);
		return 0;
	}
	if (kind != KRSI_ENV_DATA || size < sizeof(struct krsi_env_data))
		return 0;
	const struct krsi_env_data *d = data;
	struct exec_state *e = find_exec(l, d->pid);
	if (!e) {
		/* Its header was dropped, or its exec was closed to make room. */
		l->orphans++;
		return 0;
	}
	if (d->index != e->vars) {
		e->failed = 1;
		return 0;
	}
	keep_vars(e, d->data, d->len);
	e->bytes += d->len;
	size_t room = sizeof(e->head) - 1 - e->head_len, take = d->len < room ? d->len : room;
	memcpy(e->head + e->head_len, d->data, take);
	e->head_len += take;
	if (d->failed)
		e->failed = 1;
	if (!d->more || d->failed) {
		e->bytes += 1;
		end_variable(l, e);
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: krsi_env_vars [-v] -o LOGFILE -V VARSFILE\n"
		     "  -o LOGFILE   one JSON line per exec\n"
		     "  -V VARSFILE  every variable of every exec, one per line\n"
		     "  -v           libbpf debug output\n");
}

int main(int argc, char **argv)
{
	const char *log_path = NULL, *vars_path = NULL;
	int opt, err = 0;
	struct krsi_env_vars_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	static struct logger l;

	while ((opt = getopt(argc, argv, "vo:V:h")) != -1) {
		switch (opt) {
		case 'v': verbose = 1; break;
		case 'o': log_path = optarg; break;
		case 'V': vars_path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!log_path || !vars_path) {
		usage(stderr);
		return 2;
	}
	loader_init();

	l.log = fopen(log_path, "w");
	l.vars = fopen(vars_path, "w");
	if (!l.log || !l.vars) {
		fprintf(stderr, "krsi_env_vars: cannot open %s: %s\n", l.log ? vars_path : log_path, strerror(errno));
		return 1;
	}
	skel = krsi_env_vars_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "krsi_env_vars: BPF program failed to load (verifier log above): %s\n", strerror(errno));
		goto cleanup;
	}
	err = krsi_env_vars_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "krsi_env_vars: cannot attach to bprm_committed_creds: %s\n", strerror(-err));
		goto cleanup;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, &l, NULL);
	if (!rb) {
		err = -errno;
		fprintf(stderr, "krsi_env_vars: cannot open ring buffer: %s\n", strerror(errno));
		goto cleanup;
	}
	printf("attached\n");
	fflush(stdout);

	err = poll_until_stopped("krsi_env_vars", rb);
	if (err)
		goto cleanup;
	for (int i = 0; i < OPEN_EXECS; i++)
		finish_exec(&l, &l.open[i]);
	printf("{\"events\":%llu,\"dropped\":%llu,\"orphans\":%llu}\n", l.execs, (unsigned long long)skel->bss->dropped, l.orphans);

cleanup:
	ring_buffer__free(rb);
	krsi_env_vars_bpf__destroy(skel);
	for (int i = 0; i < OPEN_EXECS; i++)
		free(l.open[i].text);
	if (l.vars && fclose(l.vars) != 0 && !err)
		err = -EIO;
	if (l.log && fclose(l.log) != 0 && !err) {
		fprintf(stderr, "krsi_env_vars: writing %s: %s\n", log_path, strerror(errno));
		err = -EIO;
	}
	return err ? 1 : 0;
}
