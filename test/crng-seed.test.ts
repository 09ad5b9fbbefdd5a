import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crngSeedHex } from '../bench/guest/crng-seed.ts';

// Reference: python3 -c "import hashlib; print(hashlib.sha256(b'krsi-bench crng seed 42').hexdigest())"
test('crngSeedHex is the pinned derivation: sha256 of "krsi-bench crng seed <seed>"', () => {
  assert.equal(crngSeedHex(42), '88079d15325951bbdc1d9b91623b76fc49c5f36f3a6bd544b38a7eaba88063cb');
  assert.equal(crngSeedHex(0), 'd094104080045d858515ae6248092b447ead1096a355af1f55b13233c752febe');
  assert.notEqual(crngSeedHex(43), crngSeedHex(42));
});

test('crngSeedHex refuses seeds that are not whole numbers >= 0', () => {
  for (const bad of [-1, 1.5, Number.NaN]) assert.throws(() => crngSeedHex(bad), /whole number/);
});
