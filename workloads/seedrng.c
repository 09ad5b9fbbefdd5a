// seedrng: makes the guest kernel's random number generator ready before the
// workload runs, and fails if it is not.
//
// An emulated guest has no entropy source the kernel trusts (no RDRAND on
// QEMU's default CPU, no virtio-rng), so its CRNG stays uninitialised for the
// whole run. Until it is ready, every random number the kernel hands out
// (fork and exec ask for some, e.g. the 16 AT_RANDOM bytes of every new
// program) is made on a slow path that hashes the input pool. Measured: that
// slow path was 4 % of a nop exec (about 8 500 guest instructions), a cost
// no real machine pays.
//
// The bytes credited are the 64 hex digits given as the only argument (a
// random-layout boot passes bytes derived from its seed, so each seed draws
// its own random numbers, reproducibly), or, without one, fixed bytes that
// keep every boot identical (--layout fixed). This is a benchmark guest, not
// a system that needs secrets.
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#define SEED_BYTES 32

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int main(int argc, char **argv)
{
	struct {
		struct rand_pool_info info;
		unsigned char bytes[SEED_BYTES];
	} seed;
	unsigned char probe;
	int fd;

	seed.info.entropy_count = SEED_BYTES * 8;
	seed.info.buf_size = SEED_BYTES;
	if (argc > 2) {
		fprintf(stderr, "seedrng: usage: seedrng [64 lower-case hex digits]\n");
		return 2;
	}
	if (argc == 2) {
		const char *hex = argv[1];
		if (strlen(hex) != 2 * SEED_BYTES) {
			fprintf(stderr, "seedrng: the seed must be %d hex digits, got %zu\n", 2 * SEED_BYTES, strlen(hex));
			return 2;
		}
		for (int i = 0; i < SEED_BYTES; i++) {
			int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
			if (hi < 0 || lo < 0) {
				fprintf(stderr, "seedrng: '%s' is not lower-case hex\n", hex);
				return 2;
			}
			seed.bytes[i] = (unsigned char)(hi << 4 | lo);
		}
	} else {
		for (int i = 0; i < SEED_BYTES; i++)
			seed.bytes[i] = (unsigned char)(0x9e * (i + 1));
	}

	fd = open("/dev/urandom", O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "seedrng: /dev/urandom: %s\n", strerror(errno));
		return 1;
	}
	if (ioctl(fd, RNDADDENTROPY, &seed) != 0) {
		fprintf(stderr, "seedrng: RNDADDENTROPY: %s\n", strerror(errno));
		return 1;
	}
	close(fd);

	if (getrandom(&probe, 1, GRND_NONBLOCK) != 1) {
		fprintf(stderr, "seedrng: the kernel's CRNG is still not ready after crediting %d bits: %s\n",
			SEED_BYTES * 8, strerror(errno));
		return 1;
	}
	return 0;
}
