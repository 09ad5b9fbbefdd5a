/**
 * Two of QEMU's control channels, as much of each as a split boot needs
 * (bench/split-boot.ts): QMP, to save and resume a machine, and the gdbstub's
 * remote protocol, to stop the vCPU at an instruction and to write guest
 * memory while it is stopped.
 */
import { connect, type Socket } from 'node:net';

/** A line-delimited JSON reader and writer on a unix socket. */
class Channel {
  private buffer = '';
  private waiters: Array<() => void> = [];
  private closed: Error | null = null;

  constructor(readonly socket: Socket, private readonly what: string) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.wake();
    });
    const end = (err?: Error) => {
      this.closed ??= new Error(`${this.what}: ${err ? err.message : 'QEMU closed the connection'}`);
      this.wake();
    };
    socket.on('error', end);
    socket.on('close', () => end());
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until `take` finds something in the buffer; it returns [value, bytes used] or null. */
  async read<T>(take: (buffer: string) => [T, number] | null): Promise<T> {
    for (;;) {
      const got = take(this.buffer);
      if (got) {
        this.buffer = this.buffer.slice(got[1]);
        return got[0];
      }
      if (this.closed) throw this.closed;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  write(text: string): void {
    this.socket.write(text, 'latin1');
  }

  close(): void {
    this.socket.destroy();
  }
}

async function open(path: string, what: string): Promise<Channel> {
  const socket = connect(path);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (err) => reject(new Error(`${what}: cannot connect to ${path}: ${err.message}`)));
  });
  return new Channel(socket, what);
}

export type QmpReply = { return: unknown } | { error: { class: string; desc: string } };

/** QMP: one command at a time; events are read past and dropped. */
export class Qmp {
  private constructor(private readonly ch: Channel) {}

  static async connect(path: string): Promise<Qmp> {
    const q = new Qmp(await open(path, 'QMP'));
    await q.message(); // the greeting
    await q.run('qmp_capabilities');
    return q;
  }

  private message(): Promise<Record<string, unknown>> {
    return this.ch.read((b) => {
      const nl = b.indexOf('\n');
      return nl < 0 ? null : [JSON.parse(b.slice(0, nl)) as Record<string, unknown>, nl + 1];
    });
  }

  /** Runs a command and returns its result; a QMP error becomes an Error with QEMU's words. */
  async run(command: string, args?: Record<string, unknown>): Promise<unknown> {
    this.ch.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    for (;;) {
      const m = await this.message();
      if ('return' in m) return m.return;
      if ('error' in m) throw new Error(`QMP ${command}: ${(m.error as { desc: string }).desc}`);
    }
  }

  close(): void {
    this.ch.close();
  }
}

/** A gdb remote-protocol packet: $data#checksum, the checksum the low byte of the data's byte sum. */
export function gdbPacket(data: string): string {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum = (sum + data.charCodeAt(i)) & 0xff;
  return `$${data}#${sum.toString(16).padStart(2, '0')}`;
}

/** The first whole packet in `buffer` (acks before it skipped): [data, bytes used], or null. */
export function takeGdbPacket(buffer: string): [string, number] | null {
  const start = buffer.indexOf('$');
  if (start < 0) return null;
  const hash = buffer.indexOf('#', start);
  if (hash < 0 || buffer.length < hash + 3) return null;
  return [buffer.slice(start + 1, hash), hash + 3];
}

/** The vCPU a stop reply names (T05thread:02; -> "02"), as the gdbstub numbers them; null if it names none. */
export function stopThread(reply: string): string | null {
  return /(?:^|;)thread:([0-9a-f.p-]+);/.exec(reply.replace(/^T[0-9a-f]{2}/, ';'))?.[1] ?? null;
}

/** The gdbstub of a system emulator: all-stop, acknowledged packets. */
export class Gdb {
  private constructor(private readonly ch: Channel) {}

  static async connect(path: string): Promise<Gdb> {
    return new Gdb(await open(path, 'gdbstub'));
  }

  private async reply(): Promise<string> {
    const data = await this.ch.read(takeGdbPacket);
    this.ch.write('+');
    return data;
  }

  private async request(data: string): Promise<string> {
    this.ch.write(gdbPacket(data));
    return this.reply();
  }

  private async expectOk(data: string, what: string): Promise<void> {
    const r = await this.request(data);
    if (r !== 'OK') throw new Error(`gdbstub ${what}: ${r || 'not supported'}`);
  }

  /** A breakpoint in the emulator (not in guest memory): the vCPU stops before the instruction at `address`. */
  setBreakpoint(address: bigint): Promise<void> {
    return this.expectOk(`Z0,${address.toString(16)},1`, 'breakpoint');
  }

  /** Resumes the vCPU; the promise settles on the next stop, with its stop reply (T05...: a breakpoint). */
  continue(): Promise<string> {
    this.ch.write(gdbPacket('c'));
    return this.reply();
  }

  /** Makes `thread` (a vCPU, as stopThread gives it) the one registers and memory are read and written through. */
  selectThread(thread: string): Promise<void> {
    return this.expectOk(`Hg${thread}`, 'thread selection');
  }

  /**
   * The instruction pointer. QEMU answers single-register reads only to a
   * client that has read its target description, so this reads them all:
   * on x86-64, sixteen 8-byte general registers, then rip, little-endian.
   */
  async instructionPointer(): Promise<bigint> {
    const hex = await this.request('g');
    if (!/^[0-9a-f]{272}/.test(hex)) throw new Error(`gdbstub register read: ${hex.slice(0, 40) || 'not supported'}`);
    return BigInt(`0x${Buffer.from(hex.slice(256, 272), 'hex').reverse().toString('hex')}`);
  }

  /** Writes guest memory at a virtual address of the selected vCPU's address space. */
  async writeMemory(address: bigint, data: Buffer): Promise<void> {
    // QEMU's packet buffer is 4 KiB: hex doubles each byte.
    const chunk = 1536;
    for (let at = 0; at < data.length; at += chunk) {
      const part = data.subarray(at, at + chunk);
      await this.expectOk(`M${(address + BigInt(at)).toString(16)},${part.length.toString(16)}:${part.toString('hex')}`, 'memory write');
    }
  }

  close(): void {
    this.ch.close();
  }
}
