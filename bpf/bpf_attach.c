// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_attach: loads a user's BPF object, attaches the named programs (all of
 * them when none is named), prints "attached" once they are in place, and
 * counts the records of every ring buffer the object has until SIGINT or
 * SIGTERM. On exit it prints {"events":N} on stdout, as krsi_ld_preload
 * prints its count. It cannot know what a user's program failed to send, so
 * it prints no "dropped": the suite reports that as unknown.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "loader.h"

#define MAX_PROGS 16

static unsigned long long records;

static int on_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	(void)data;
	(void)size;
	records++;
	return 0;
}

static int wanted(const char *name, char **progs, int nprogs)
{
	if (nprogs == 0)
		return 1;
	for (int i = 0; i < nprogs; i++)
		if (!strcmp(progs[i], name))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	char *progs[MAX_PROGS];
	int nprogs = 0, opt, err = 0, attached = 0;
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	struct bpf_map *map;
	struct ring_buffer *rb = NULL;
	struct bpf_link *links[MAX_PROGS * 4];

	while ((opt = getopt(argc, argv, "vp:h")) != -1) {
		switch (opt) {
		case 'v': verbose = 1; break;
		case 'p':
			if (nprogs == MAX_PROGS) {
				fprintf(stderr, "bpf_attach: at most %d -p options\n", MAX_PROGS);
				return 2;
			}
			progs[nprogs++] = optarg;
			break;
		case 'h':
		default:
			fprintf(opt == 'h' ? stdout : stderr, "usage: bpf_attach [-v] [-p PROGRAM]... OBJECT.bpf.o\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: bpf_attach [-v] [-p PROGRAM]... OBJECT.bpf.o\n");
		return 2;
	}
	loader_init();

	obj = bpf_object__open_file(argv[optind], NULL);
	if (!obj) {
		fprintf(stderr, "bpf_attach: cannot open %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	for (int i = 0; i < nprogs; i++) {
		if (!bpf_object__find_program_by_name(obj, progs[i])) {
			fprintf(stderr, "bpf_attach: %s has no program named %s\n", argv[optind], progs[i]);
			err = -ENOENT;
			goto cleanup;
		}
	}
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, wanted(bpf_program__name(prog), progs, nprogs));
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "bpf_attach: BPF object %s failed to load (verifier log above): %s\n", argv[optind], strerror(-err));
		goto cleanup;
	}
	bpf_object__for_each_program(prog, obj) {
		if (!wanted(bpf_program__name(prog), progs, nprogs))
			continue;
		/* Without -p every program of the object is attached: more than the array holds is refused, not overrun. */
		if (attached == (int)(sizeof(links) / sizeof(links[0]))) {
			fprintf(stderr, "bpf_attach: %s has more than %zu programs to attach; name the ones to attach with -p\n",
				argv[optind], sizeof(links) / sizeof(links[0]));
			err = -E2BIG;
			goto cleanup;
		}
		struct bpf_link *link = bpf_program__attach(prog);
		if (!link) {
			err = -errno;
			fprintf(stderr, "bpf_attach: cannot attach %s: %s\n", bpf_program__name(prog), strerror(errno));
			goto cleanup;
		}
		links[attached++] = link;
	}
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_RINGBUF)
			continue;
		if (!rb)
			rb = ring_buffer__new(bpf_map__fd(map), on_record, NULL, NULL);
		else if (ring_buffer__add(rb, bpf_map__fd(map), on_record, NULL))
			rb = NULL;
		if (!rb) {
			err = -errno;
			fprintf(stderr, "bpf_attach: cannot open ring buffer %s: %s\n", bpf_map__name(map), strerror(errno));
			goto cleanup;
		}
	}
	printf("attached\n");
	fflush(stdout);

	/* A program without a ring buffer only needs to stay attached until the signal. */
	if (rb)
		err = poll_until_stopped("bpf_attach", rb);
	else
		while (!stopping)
			pause();
	if (err)
		goto cleanup;
	printf("{\"events\":%llu}\n", records);

cleanup:
	ring_buffer__free(rb);
	for (int i = 0; i < attached; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	return err ? 1 : 0;
}
