/*
 * The logger side of the LD_PRELOAD scan (env_walk.bpf.h): one JSON line per
 * event of krsi_ld_preload.h, which the guest's checks count and match.
 * Included by the loaders of krsi_ld_preload and krsi_hooks.
 */
#ifndef KRSI_LD_PRELOAD_LOG_H
#define KRSI_LD_PRELOAD_LOG_H

#include <stdio.h>
#include "json.h"
#include "krsi_ld_preload.h"

static unsigned long long events_logged;

static int on_event(void *ctx, void *data, size_t size)
{
	FILE *out = ctx;
	const struct krsi_event *e = data;

	if (size < sizeof(*e))
		return 0;
	fprintf(out, "{\"pid\":%u,\"comm\":", e->pid);
	json_string(out, e->comm, sizeof(e->comm));
	fputs(",\"filename\":", out);
	json_string(out, e->filename, sizeof(e->filename));
	fputs(",\"ld_preload\":", out);
	if (e->found)
		json_string(out, e->value, sizeof(e->value));
	else
		fputs("\"unset\"", out);
	fprintf(out, ",\"set\":%s,\"truncated\":%s,\"value_truncated\":%s,\"filename_truncated\":%s}\n", e->found ? "true" : "false",
		e->truncated ? "true" : "false", e->value_truncated ? "true" : "false", e->filename_truncated ? "true" : "false");
	events_logged++;
	return 0;
}

#endif
