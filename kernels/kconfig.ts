/** Kconfig fragments and .config files as data: option name -> value, null for "is not set". */
export type KconfigValues = Map<string, string | null>;

export function parseKconfig(text: string): KconfigValues {
  const values: KconfigValues = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset?.[1]) {
      values.set(unset[1], null);
      continue;
    }
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set?.[1] !== undefined && set[2] !== undefined) values.set(set[1], set[2]);
  }
  return values;
}

/**
 * The requested options that `make olddefconfig` did not keep: Kconfig silently
 * drops an option whose dependencies are unmet, so a fragment alone proves nothing.
 */
export function droppedOptions(requested: KconfigValues, actual: KconfigValues): string[] {
  const dropped: string[] = [];
  for (const [name, want] of requested) {
    const got = actual.get(name) ?? null;
    if (want === null || want === 'n') {
      if (got !== null && got !== 'n') dropped.push(`${name} is ${got}, wanted unset`);
    } else if (got !== want) {
      dropped.push(`${name}=${want} became ${got === null ? 'unset' : got}`);
    }
  }
  return dropped;
}

/** The set options of a .config, in order: what a build depends on, without the generated comments. */
export function configIdentity(text: string): string {
  return text
    .split('\n')
    .filter((l) => l.startsWith('CONFIG_'))
    .join('\n');
}

/** The options that differ between two configs, for reports: "CONFIG_AUDIT: y vs unset". */
export function configDiff(a: KconfigValues, b: KconfigValues): { name: string; a: string | null; b: string | null }[] {
  const names = new Set([...a.keys(), ...b.keys()]);
  const diff = [];
  for (const name of [...names].sort()) {
    const va = a.get(name) ?? null;
    const vb = b.get(name) ?? null;
    if (va !== vb) diff.push({ name, a: va, b: vb });
  }
  return diff;
}

/** auto.conf writes string values without the quotes .config has. */
function unquoted(values: KconfigValues): KconfigValues {
  return new Map([...values].map(([k, v]) => [k, v?.replace(/^"(.*)"$/, '$1') ?? null]));
}

/** The option names (without CONFIG_) whose values differ between two configs, .config or auto.conf, quoted or not. */
export function changedOptionNames(a: string, b: string): string[] {
  return configDiff(unquoted(parseKconfig(a)), unquoted(parseKconfig(b))).map((d) => d.name.replace(/^CONFIG_/, ''));
}
