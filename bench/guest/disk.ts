import type { KconfigValues } from '../../kernels/kconfig.ts';

/**
 * The guest's disk: an ext4 file system, made afresh by each boot, holding
 * what a real machine reads from and writes to disk on the measured path:
 * the exec'd program and auditd's log directory.
 *
 * Its block device is a RAM disk inside the guest (brd), not a virtio disk.
 * QEMU completes a virtio request on a host thread, at a moment that depends
 * on the host, and the completion's interrupt then lands at a different guest
 * instruction in every run: measured, two runs of vanilla of one seed on a
 * virtio disk gave different samples (the first 378.39 µs in one, 376.70 µs
 * in the other), where the same kernel without the disk gives the same
 * samples to the last digit. A RAM disk
 * completes each request in the submitting task, so ext4, its journal and
 * the block layer run as on a disk while the run stays a function of its
 * seed. What it leaves out is the device's own work: queueing to the
 * virtqueue, the completion interrupt, and the wait for the host.
 */
export const DISK = {
  device: '/dev/ram0',
  mountPoint: '/disk',
  /**
   * Made with mke2fs's "default" type (4 KiB blocks, as a root file system),
   * not the "small" type it picks below 512 MB. Its free space stays above
   * the packaged auditd.conf's space_left (75 MB), so auditd never acts on it.
   * The RAM disk holds only the blocks written (about 25 MB after mke2fs).
   */
  sizeMiB: 128,
} as const;

/** The kernel options the guest needs for its disk; a kernel without them boots with none. */
export const DISK_OPTIONS = ['CONFIG_BLK_DEV_RAM', 'CONFIG_EXT4_FS'];

export function kernelHasDisk(config: KconfigValues): boolean {
  return DISK_OPTIONS.every((o) => config.get(o) === 'y');
}

/** The RAM disk's size and count, as boot arguments of the built-in brd driver. */
export function diskKernelArgs(): string[] {
  return ['brd.rd_nr=1', `brd.rd_size=${DISK.sizeMiB * 1024}`];
}

/** mke2fs and its configuration, from the host's e2fsprogs (Debian 12: 1.47.0), as busybox comes from its busybox. */
export const MKE2FS = { binary: '/sbin/mke2fs', conf: '/etc/mke2fs.conf' } as const;
