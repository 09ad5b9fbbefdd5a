/*
 * layout_pad: padding linked among execbench's own objects, so that a boot
 * can draw where execbench's code and data fall within their pages
 * (bench/guest/workload-layout.ts). Nothing in it runs or is read.
 *
 * Under icount what such a shift changes is work, not speed: a child between
 * fork and execve takes copy-on-write and fault-around faults on the pages
 * it touches, and which of execbench's objects share those pages is decided
 * at link time. A 256-byte array once moved the fixed layout's vanilla by
 * 3 % (docs/methodology.md).
 */
#if !defined(TEXT_PAD) || !defined(RODATA_PAD) || !defined(DATA_PAD) || !defined(BSS_PAD)
#error "TEXT_PAD, RODATA_PAD, DATA_PAD and BSS_PAD (bytes) are set by the Makefile's layout target"
#endif

#define STR_(x) #x
#define STR(x) STR_(x)

/* int3 bytes: a jump into the padding would trap rather than slide. */
__asm__(".pushsection .text\n"
	"\t.balign 16\n"
	"krsi_layout_text_pad:\n"
	"\t.if " STR(TEXT_PAD) "\n"
	"\t.skip " STR(TEXT_PAD) ", 0xcc\n"
	"\t.endif\n"
	"\t.popsection");

/* One byte more than drawn, so that a draw of 0 is still a valid C array. */
__attribute__((used)) const char krsi_layout_rodata_pad[RODATA_PAD + 1] = { 1 };
__attribute__((used)) char krsi_layout_data_pad[DATA_PAD + 1] = { 1 };
__attribute__((used)) char krsi_layout_bss_pad[BSS_PAD + 1];
