/**
 * A writer for the "newc" cpio format the kernel unpacks into its initramfs.
 * Written here rather than driving cpio(1) so that the archive can hold
 * /dev/console (a device node, which a non-root user cannot create on disk)
 * and so that it is byte-for-byte reproducible: every mtime is 0, entries are
 * sorted, inode numbers are assigned in order.
 */

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Buffer; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(len: number): Buffer {
  return Buffer.alloc((4 - (len % 4)) % 4);
}

function record(ino: number, mode: number, data: Buffer, name: string, rdev: [number, number] = [0, 0]): Buffer {
  const nameBuf = Buffer.from(`${name}\0`, 'utf8');
  const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBuf.length, 0];
  const header = Buffer.from(`070701${fields.map(hex8).join('')}`, 'ascii');
  return Buffer.concat([header, nameBuf, pad4(header.length + nameBuf.length), data, pad4(data.length)]);
}

/** Serialises entries (paths without a leading slash) into one newc archive. */
export function cpioArchive(entries: readonly CpioEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of sorted) {
    const path = e.path.replace(/^\/+/, '');
    switch (e.kind) {
      case 'dir':
        parts.push(record(ino++, S_IFDIR | (e.mode ?? 0o755), Buffer.alloc(0), path));
        break;
      case 'file':
        parts.push(record(ino++, S_IFREG | (e.mode ?? 0o644), e.data, path));
        break;
      case 'symlink':
        parts.push(record(ino++, S_IFLNK | 0o777, Buffer.from(e.target, 'utf8'), path));
        break;
      case 'chardev':
        parts.push(record(ino++, S_IFCHR | (e.mode ?? 0o600), Buffer.alloc(0), path, [e.major, e.minor]));
        break;
    }
  }
  parts.push(record(0, 0, Buffer.alloc(0), 'TRAILER!!!'));
  return Buffer.concat(parts);
}
