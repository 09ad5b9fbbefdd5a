/* The event krsi_ld_preload.bpf.c sends and krsi_ld_preload.c logs: plain C types only. */
#ifndef KRSI_LD_PRELOAD_H
#define KRSI_LD_PRELOAD_H

#define KRSI_COMM_LEN 16
#define KRSI_FILENAME_LEN 256
#define KRSI_VALUE_LEN 256

enum krsi_event_kind {
	/* An exec, with the LD_PRELOAD its environment sets. */
	KRSI_EVENT_EXEC = 0,
	/* /etc/ld.so.preload opened for reading: a dynamic loader about to preload what it lists. */
	KRSI_EVENT_PRELOAD_READ = 1,
	/* /etc/ld.so.preload opened for writing, or another file renamed or linked onto it. */
	KRSI_EVENT_PRELOAD_WRITE = 2,
};

struct krsi_event {
	unsigned int kind;
	unsigned int pid;
	/* 1 when LD_PRELOAD was in the new program's environment, 0 when not. */
	unsigned int found;
	/* How many LD_PRELOAD= strings it had; the value is the last one's, which the loader uses. */
	unsigned int preloads;
	/* 1 when the environment could not be read to its end. */
	unsigned int truncated;
	/* 1 when the value, or the filename, is longer than its field here and was cut. */
	unsigned int value_truncated;
	unsigned int filename_truncated;
	char comm[KRSI_COMM_LEN];
	char filename[KRSI_FILENAME_LEN];
	char value[KRSI_VALUE_LEN];
};

#endif
