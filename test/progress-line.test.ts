import assert from 'node:assert/strict';
import { test } from 'node:test';
import { progress } from '../lib/progress.ts';

/** A non-terminal stream that keeps what is written to it. */
function sink(): NodeJS.WriteStream & { text: string } {
  const s = { text: '', isTTY: false, write(chunk: string) { s.text += chunk; return true; } };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

test('the time left comes from the fraction of the work done where one is given, and from done / total otherwise', () => {
  const byCount = sink();
  progress('run', 0, byCount).update(1, 4, 'guests done');
  assert.match(byCount.text, /^run:  25% \(1\/4 guests done\), 0s elapsed, ~0s left\n$/);

  const byWork = sink();
  progress('run', 0, byWork).update(1, 4, 'guests done', 0.5);
  assert.match(byWork.text, /^run:  50% \(1\/4 guests done\), /);

  const early = sink();
  progress('run', 0, early).update(1, 100, 'guests done', 0.01);
  assert.match(early.text, /~\? left/, 'too little done to say');
});

test('a time left the caller reckons is printed as it is, whatever the fraction done', () => {
  const given = sink();
  progress('run', 0, given).update(1, 100, 'guests done', 0.01, 95_000);
  assert.match(given.text, /, ~1m35s left\n$/);
});
