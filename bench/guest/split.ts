/**
 * The guest's side of a split boot (bench/split-boot.ts): the shared part's
 * archive holds what every scenario of the kernel holds, and each scenario's
 * own files reach its restored guest in a cpio archive with its part of /init.
 */
import { cpioArchive, type CpioEntry } from './cpio.ts';
import { SCENARIO_SCRIPT } from './init-script.ts';

function sameEntry(a: CpioEntry, b: CpioEntry): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'file' && b.kind === 'file') return a.mode === b.mode && a.data.equals(b.data);
  if (a.kind === 'symlink' && b.kind === 'symlink') return a.target === b.target;
  if (a.kind === 'chardev' && b.kind === 'chardev') return a.major === b.major && a.minor === b.minor && a.mode === b.mode;
  return a.kind === 'dir' && b.kind === 'dir' && a.mode === b.mode;
}

/** The entries of a scenario's initramfs that the shared part's does not hold as they are. */
export function scenarioFiles(scenario: readonly CpioEntry[], shared: readonly CpioEntry[]): CpioEntry[] {
  const have = new Map(shared.map((e) => [e.path, e]));
  return scenario.filter((e) => {
    const s = have.get(e.path);
    return !s || !sameEntry(s, e);
  });
}

/** What a restored guest unpacks at / : the scenario's own files and its part of /init. */
export function scenarioArchive(files: readonly CpioEntry[], script: string): Buffer {
  return cpioArchive([...files, { kind: 'file', path: SCENARIO_SCRIPT.slice(1), data: Buffer.from(script), mode: 0o755 }]);
}
