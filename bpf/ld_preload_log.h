/*
 * The logger side of the LD_PRELOAD scan (env_walk.bpf.h): one JSON line per
 * event of krsi_ld_preload.h, which the guest's checks count and match: an
 * exec's, or /etc/ld.so.preload opened or replaced.
 * Included by the loaders of krsi_ld_preload and krsi_hooks.
 */
#ifndef KRSI_LD_PRELOAD_LOG_H
#define KRSI_LD_PRELOAD_LOG_H

#include <stdio.h>
#include "json.h"
#include "krsi_ld_preload.h"

static unsigned long long events_logged;

static const char *json_bool(unsigned int b)
{
	return b ? "true" : "false";
}

static int on_event(void *ctx, void *data, size_t size)
{
	FILE *out = ctx;
	const struct krsi_event *e = data;

	if (size < sizeof(*e))
		return 0;
	fprintf(out, "{\"pid\":%u,\"comm\":", e->pid);
	json_string(out, e->comm, sizeof(e->comm));
	if (e->kind != KRSI_EVENT_EXEC) {
		fputs(",\"preload_file\":", out);
		json_string(out, e->filename, sizeof(e->filename));
		fprintf(out, ",\"access\":\"%s\"}\n", e->kind == KRSI_EVENT_PRELOAD_WRITE ? "write" : "read");
		events_logged++;
		return 0;
	}
	fputs(",\"filename\":", out);
	json_string(out, e->filename, sizeof(e->filename));
	fputs(",\"ld_preload\":", out);
	if (e->found)
		json_string(out, e->value, sizeof(e->value));
	else
		fputs("\"unset\"", out);
	fprintf(out, ",\"set\":%s,\"preloads\":%u,\"truncated\":%s,\"value_truncated\":%s,\"filename_truncated\":%s}\n", json_bool(e->found),
		e->preloads, json_bool(e->truncated), json_bool(e->value_truncated), json_bool(e->filename_truncated));
	events_logged++;
	return 0;
}

/*
 * The loader's last line on stdout, which the guest reads: what it logged,
 * and what the program emitted, lost (once: a perf buffer's lost records are
 * the same events as its failed outputs, printed apart), left incomplete
 * (max_steps) and filtered out; perf_lost is -1 for a ring buffer.
 */
static void print_totals(unsigned long long emitted, unsigned long long dropped, unsigned long long incomplete, unsigned long long filtered,
			 long long perf_lost)
{
	printf("{\"events\":%llu,\"dropped\":%llu,\"emitted\":%llu,\"incomplete\":%llu,\"filtered\":%llu", events_logged, dropped, emitted,
	       incomplete, filtered);
	if (perf_lost >= 0)
		printf(",\"perf_lost\":%lld", perf_lost);
	printf("}\n");
}

#endif
