/*
 * krsi_profile: a QEMU TCG plugin that counts the guest instructions each
 * translation block executes between execbench's two marks
 * (workloads/attribution.h), and writes them to the file named by out=.
 *
 * Each block gets a counter that TCG increments inline by the block's
 * instruction count, so counting costs a memory add per block and no call.
 * At the start mark the plugin notes every counter; at the end mark it
 * writes, for every block that ran in between:
 *     tb <vaddr> <insns in the block> <instructions counted> <first bytes, hex>
 * The bytes let the host tell which binary a user address belongs to, and
 * find the kernel's KASLR offset by matching them against vmlinux. A block
 * that faults midway is counted whole: that is the profile's bookkeeping
 * error, which the host reports against the measured time.
 *
 * Call stacks are not followed: QEMU 7.2's plugin API cannot read
 * registers, so the plugin cannot tell one task's stack from another's across
 * a context switch or an interrupt.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qemu_plugin_abi.h"

KRSI_PLUGIN_EXPORT int qemu_plugin_version = KRSI_QEMU_PLUGIN_VERSION;

#define BYTES 16
#define CHUNK 4096

struct block {
	uint64_t vaddr;
	uint64_t count; /* incremented by TCG */
	uint64_t at_start;
	uint32_t insns;
	uint8_t nbytes;
	uint8_t bytes[BYTES];
};

/* Blocks in chunks, so that the counters TCG holds pointers to never move. */
static struct block **chunks;
static size_t nchunks, nblocks;
static const char *out_path;
static int recording, written, marks_seen;

static struct block *new_block(void)
{
	if (nblocks == nchunks * CHUNK) {
		chunks = realloc(chunks, sizeof(*chunks) * (nchunks + 1));
		chunks[nchunks] = calloc(CHUNK, sizeof(struct block));
		if (!chunks || !chunks[nchunks]) {
			qemu_plugin_outs("krsi_profile: out of memory\n");
			abort();
		}
		nchunks++;
	}
	struct block *b = &chunks[nblocks / CHUNK][nblocks % CHUNK];
	nblocks++;
	return b;
}

#define EACH_BLOCK(b) \
	for (size_t i_ = 0; i_ < nblocks; i_++) \
		for (struct block *b = &chunks[i_ / CHUNK][i_ % CHUNK]; b; b = NULL)

static void write_profile(void)
{
	FILE *f = fopen(out_path, "w");
	if (!f) {
		qemu_plugin_outs("krsi_profile: cannot write the profile\n");
		return;
	}
	uint64_t total = 0;
	fprintf(f, "krsi-profile 1\n");
	EACH_BLOCK(b) {
		uint64_t n = b->count - b->at_start;
		if (!n)
			continue;
		total += n;
		fprintf(f, "tb %" PRIx64 " %u %" PRIu64 " ", b->vaddr, b->insns, n);
		for (int k = 0; k < b->nbytes; k++)
			fprintf(f, "%02x", b->bytes[k]);
		fputc('\n', f);
	}
	fprintf(f, "total %" PRIu64 " %zu\n", total, nblocks);
	if (fclose(f) == 0)
		written = 1;
}

static void on_mark(unsigned int vcpu, void *udata)
{
	(void)vcpu;
	marks_seen++;
	if (udata == (void *)1) {
		EACH_BLOCK(b) b->at_start = b->count;
		recording = 1;
	} else if (recording && !written) {
		recording = 0;
		write_profile();
	}
}

/* `nopl 0x4b5253NN(%rax)`: 0f 1f 80, then the displacement, little-endian. */
static int mark_of(const uint8_t *d, size_t size)
{
	static const uint8_t head[] = { 0x0f, 0x1f, 0x80 };
	if (size != 7 || memcmp(d, head, 3) || d[4] != 0x53 || d[5] != 0x52 || d[6] != 0x4b)
		return 0;
	return d[3] == 0x01 ? 1 : d[3] == 0x02 ? 2 : 0;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	struct block *b = new_block();
	size_t n = qemu_plugin_tb_n_insns(tb);
	b->vaddr = qemu_plugin_tb_vaddr(tb);
	b->insns = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		const uint8_t *d = qemu_plugin_insn_data(insn);
		size_t size = qemu_plugin_insn_size(insn);
		for (size_t k = 0; k < size && b->nbytes < BYTES; k++)
			b->bytes[b->nbytes++] = d[k];
		int mark = mark_of(d, size);
		if (mark)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)mark);
	}
	/* Counted once the block starts: recording or not, the difference at the marks is what ran between them. */
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->count, n);
}

static void at_qemu_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	if (!written) {
		char msg[160];
		snprintf(msg, sizeof(msg), "krsi_profile: no profile written: %d of the 2 marks seen\n", marks_seen);
		qemu_plugin_outs(msg);
	}
}

KRSI_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	(void)info;
	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			out_path = argv[i] + 4;
	if (!out_path) {
		qemu_plugin_outs("krsi_profile: needs out=FILE\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, at_qemu_exit, NULL);
	return 0;
}
