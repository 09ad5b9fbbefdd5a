/*
 * What krsi_env_vars.bpf.c sends and krsi_env_vars.c logs: the whole
 * environment of each exec, the talk's krsi_get_env_vars. Per exec one
 * header, then every variable in chunks, in order.
 */
#ifndef KRSI_ENV_VARS_H
#define KRSI_ENV_VARS_H

#define KRSI_ENV_FILENAME_LEN 256
#define KRSI_ENV_CHUNK 1024

enum krsi_env_kind { KRSI_ENV_HEADER = 1, KRSI_ENV_DATA = 2 };

struct krsi_env_header {
	unsigned int kind;      /* KRSI_ENV_HEADER */
	unsigned int pid;
	unsigned int envc;      /* variables that follow */
	unsigned int filename_truncated;
	char filename[KRSI_ENV_FILENAME_LEN];
};

struct krsi_env_data {
	unsigned int kind;      /* KRSI_ENV_DATA */
	unsigned int pid;
	unsigned int index;     /* which variable, from 0 */
	unsigned int len;       /* bytes in data, the NUL not counted */
	unsigned int more;      /* 1 when the variable goes on in the next record */
	unsigned int failed;    /* 1 when the variable could not be read; it ends here */
	char data[KRSI_ENV_CHUNK];
};

#endif
