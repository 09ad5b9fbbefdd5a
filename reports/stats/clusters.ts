/**
 * Values that are not independent draws, one per cluster: the mean of each
 * cluster's values, clusters in first-seen order. Null where there is
 * nothing to merge: every key differs, or some value has no key (then the
 * values are taken as independent, as before clusters were recorded).
 */
export function clusterMeans<K>(values: readonly number[], keys: readonly (K | null | undefined)[]): number[] | null {
  if (values.length !== keys.length) throw new Error(`clusterMeans: ${values.length} values but ${keys.length} keys`);
  if (keys.some((k) => k == null) || new Set(keys).size === keys.length) return null;
  const groups = new Map<K, number[]>();
  keys.forEach((k, i) => groups.set(k!, [...(groups.get(k!) ?? []), values[i]!]));
  return [...groups.values()].map((xs) => xs.reduce((a, x) => a + x, 0) / xs.length);
}
