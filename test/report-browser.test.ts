// The report as a reader sees it: rendered from fixtures, opened from disk in headless
// Chromium, with no console error, no request beyond file://, every plot drawn.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { reportRuns } from '../reports/pipeline.ts';
import { pctInterval, signedPct } from '../reports/report/format.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'report');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PLOTS = ['distribution', 'ecdf', 'box', 'run-order', 'forest', 'boot-medians'];

let browser: Browser;
let tmp: string;

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`this test opens the report in Debian's headless Chromium: ${CHROMIUM} is missing (apt-get install chromium)`);
  tmp = mkdtempSync(join(tmpdir(), 'krsi-report-browser-'));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface Visit {
  page: Page;
  consoleErrors: string[];
  foreignRequests: string[];
  dialogs: string[];
}

async function open(reportHtml: string): Promise<Visit> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const visit: Visit = { page, consoleErrors: [], foreignRequests: [], dialogs: [] };
  page.on('console', (m) => { if (m.type() === 'error') visit.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => visit.consoleErrors.push(e.message));
  page.on('request', (r) => { if (!r.url().startsWith('file://')) visit.foreignRequests.push(r.url()); });
  page.on('dialog', (d) => { visit.dialogs.push(d.message()); void d.dismiss(); });
  await page.goto(pathToFileURL(reportHtml).href, { waitUntil: 'load' });
  return visit;
}

/** Per figure: whether it has an <svg>, and how many data marks with a non-empty box it draws. */
async function drawnMarks(page: Page): Promise<Record<string, { svg: boolean; marks: number }>> {
  return page.evaluate(() => {
    const out: Record<string, { svg: boolean; marks: number }> = {};
    for (const fig of document.querySelectorAll('figure.plot')) {
      const svg = fig.querySelector('svg');
      const marks = svg ? [...svg.querySelectorAll('g.role-mark > *')].filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0;
      }).length : 0;
      out[fig.id] = { svg: svg !== null && svg.getBoundingClientRect().width > 0, marks };
    }
    return out;
  });
}

/**
 * Each table against the width its box gives it at this window (the page's own
 * widths, after layout), and the page's own width: nothing may scroll sideways.
 */
async function widths(page: Page): Promise<{ page: number; window: number; tables: { id: string; need: number; have: number }[] }> {
  return page.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    window: document.documentElement.clientWidth,
    tables: [...document.querySelectorAll('table')].map((t) => {
      const box = t.parentElement!;
      return { id: t.id, need: Math.max(box.scrollWidth, Math.ceil(t.getBoundingClientRect().width)), have: box.clientWidth };
    }),
  }));
}

function assertFits(w: Awaited<ReturnType<typeof widths>>, where: string): void {
  assert.ok(w.tables.length > 0, `${where}: tables found`);
  for (const t of w.tables) assert.ok(t.need <= t.have, `${where}: table #${t.id} needs ${t.need} px of its ${t.have}`);
  assert.ok(w.page <= w.window, `${where}: the page is ${w.page} px wide in a ${w.window}-px window`);
}

/**
 * Per plot: the colours its data marks are drawn in (greys left out: rules, text,
 * outliers) that no legend symbol shows. A plot of one colour encodes nothing by it.
 */
async function unnamedColours(page: Page): Promise<Record<string, { drawn: string[]; unnamed: string[] }>> {
  // No named functions inside: tsx's keepNames would wrap them in a helper the page lacks.
  return page.evaluate(() => {
    const out: Record<string, { drawn: string[]; unnamed: string[] }> = {};
    for (const fig of document.querySelectorAll('figure.plot')) {
      const sets = [[...fig.querySelectorAll('g.role-mark > :not(g):not(text)')], [...fig.querySelectorAll('g.role-legend-symbol > *')]].map((els) => {
        const found = new Set<string>();
        for (const el of els) {
          const style = getComputedStyle(el);
          for (const c of [style.fill, style.stroke]) {
            const m = /^rgba?\((\d+), (\d+), (\d+)/.exec(c);
            if (m && !(m[1] === m[2] && m[2] === m[3])) found.add(`rgb(${m[1]}, ${m[2]}, ${m[3]})`);
          }
        }
        return found;
      });
      const [drawn, named] = sets as [Set<string>, Set<string>];
      out[fig.id] = { drawn: [...drawn], unnamed: drawn.size > 1 ? [...drawn].filter((c) => !named.has(c)) : [] };
    }
    return out;
  });
}

function assertColoursNamed(found: Awaited<ReturnType<typeof unnamedColours>>, where: string): void {
  for (const [id, f] of Object.entries(found)) assert.deepEqual(f.unnamed, [], `${where}: ${id} draws ${f.unnamed.join(', ')} with no legend naming them`);
}

test('a report opens offline in Chromium, draws every plot and has one verdict row per scenario', async () => {
  const out = join(tmp, 'seed');
  const { summary } = await reportRuns([join(FIXTURES, 'seed-a')], { out });
  const v = await open(join(out, 'report.html'));
  try {
    assert.deepEqual(v.consoleErrors, []);
    assert.deepEqual(v.foreignRequests, []);
    const figures = await drawnMarks(v.page);
    assert.deepEqual(Object.keys(figures).sort(), PLOTS.map((p) => `fig-${p}`).sort());
    for (const [id, f] of Object.entries(figures)) {
      assert.ok(f.svg, `${id} has a visible <svg>`);
      assert.ok(f.marks > 0, `${id} draws marks`);
    }
    assertFits(await widths(v.page), 'seed');
    assertColoursNamed(await unnamedColours(v.page), 'seed');
    // The answer comes first: right under the title, before the method and the kernels.
    const order = await v.page.evaluate(() => [...document.body.children].map((e) => e.id || e.tagName.toLowerCase()));
    assert.deepEqual(order.slice(0, 3), ['h1', 'answer', 'method'], order.join(', '));
    const answers = await v.page.locator('#answer ul.answers li').allInnerTexts();
    const compared = summary.scenarios.filter((c) => c.overhead);
    assert.equal(answers.length, compared.length, answers.join('\n'));
    compared.forEach((c, i) => {
      const o = c.overhead!;
      for (const part of [c.name, signedPct(o.pct), pctInterval(o.ci95_pct), o.verdict]) assert.ok(answers[i]!.includes(part), `answer ${i} names ${part}: ${answers[i]}`);
    });
    assert.match(answers.find((a) => a.startsWith('audit-execve'))!, /the talk measured \+28\.0 %/);
    assert.ok(!answers.find((a) => a.startsWith('audit-compiled'))!.includes('the talk'), 'audit-compiled is not in the talk');
    const details = await v.page.locator('#answer a[href^="#"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!.slice(1)));
    for (const id of details) assert.equal(await v.page.locator(`[id="${id}"]`).count(), 1, `#${id} is on the page`);
    const rows = await v.page.locator('#verdict tbody tr').allInnerTexts();
    assert.equal(rows.length, summary.scenarios.length);
    summary.scenarios.forEach((s, i) => assert.ok(rows[i]!.startsWith(s.name), `row ${i} is ${s.name}`));
    const sentences = await v.page.locator('#talk .sentences li').allInnerTexts();
    assert.ok(sentences.some((t) => t.startsWith('audit-execve:') && t.includes('in the talk')), sentences.join('\n'));
    // every relative link points at a file that is there
    const hrefs = await v.page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    for (const href of hrefs.filter((h) => !h.startsWith('#') && !/^[a-z]+:/.test(h))) {
      assert.ok(existsSync(join(out, decodeURIComponent(href))), `link ${href} resolves`);
    }
    await v.page.screenshot({ path: join(out, 'report.png'), fullPage: true });
    assert.ok(existsSync(join(out, 'report.png')));
  } finally {
    await v.page.close();
  }
});

test('the real two-scenario run and a merged report draw too', async () => {
  const real = join(tmp, 'real');
  await reportRuns([join(FIXTURES, 'real-small')], { out: real });
  const merged = join(tmp, 'merged');
  await reportRuns([join(FIXTURES, 'seed-a'), join(FIXTURES, 'seed-b')], { out: merged, merge: true });
  for (const [out, scenarios] of [[real, 2], [merged, 5]] as const) {
    const v = await open(join(out, 'report.html'));
    try {
      assert.deepEqual(v.consoleErrors, []);
      assert.deepEqual(v.foreignRequests, []);
      for (const [id, f] of Object.entries(await drawnMarks(v.page))) assert.ok(f.svg && f.marks > 0, `${out}: ${id} draws marks`);
      assert.equal(await v.page.locator('#verdict tbody tr').count(), scenarios);
      assertFits(await widths(v.page), out);
      assertColoursNamed(await unnamedColours(v.page), out);
      await v.page.screenshot({ path: join(out, 'report.png'), fullPage: true });
    } finally {
      await v.page.close();
    }
  }
});

test('a matrix\'s questions are answered first, each linked to its plot, and every plot names its colours', async () => {
  const dir = join(tmp, 'questions');
  cpSync(join(FIXTURES, 'seed-a'), dir, { recursive: true });
  const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { matrix: Record<string, unknown> };
  meta.matrix.questions = [
    { title: 'Which logger is cheapest?', scenarios: ['audit-execve', 'krsi-ld-preload'], plot: 'forest' },
    { title: 'Against the size of the environment', scenarios: ['audit-no-rules', 'audit-execve', 'krsi-ld-preload'], plot: 'env-pages' },
  ];
  writeFileSync(join(dir, 'run.json'), JSON.stringify(meta));
  await reportRuns([dir]);
  const v = await open(join(dir, 'report.html'));
  try {
    assert.deepEqual(v.consoleErrors, []);
    const answers = await v.page.locator('#answer ul.answers li').allInnerTexts();
    // the talk's scenarios, then one line per question
    assert.deepEqual(answers.map((a) => a.split(/[:(]/)[0]!.trim()), ['audit-no-rules', 'audit-execve', 'krsi-ld-preload', 'Which logger is cheapest?', 'Against the size of the environment']);
    assert.match(answers[3]!, /^Which logger is cheapest\?: Against vanilla, from the cheapest: krsi-ld-preload \+\d+\.\d\d % .* detail$/);
    const links = await v.page.locator('#answer a[href^="#q-"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    assert.deepEqual(links, ['#q-question-1', '#q-question-2']);
    for (const id of links) assert.equal(await v.page.locator(`${id} figure.plot svg`).count(), 1, `${id} holds its plot`);
    assertFits(await widths(v.page), 'questions');
    const colours = await unnamedColours(v.page);
    assert.ok(colours['fig-question-2']!.drawn.length === 3, `the environment plot draws one colour per series: ${colours['fig-question-2']!.drawn.join(', ')}`);
    assertColoursNamed(colours, 'questions');
  } finally {
    await v.page.close();
  }
});

test('a matrix of 32 scenarios names every one in each legend, and its tables still fit', async () => {
  const dir = join(tmp, 'many');
  cpSync(join(FIXTURES, 'real-small'), dir, { recursive: true });
  for (const f of ['run.json', 'events.csv']) rmSync(join(dir, f));
  const names = Array.from({ length: 32 }, (_, i) => `scenario-${String(i).padStart(2, '0')}`);
  const csv = ['scenario,kernel,boot,sample,warmup,execs,ns_per_exec'];
  names.forEach((name, i) => {
    for (let s = 0; s < 8; s++) csv.push(`${name},noaudit,0,${s},0,20,${200000 * (1 + i * 0.01) + s * 37}`);
  });
  writeFileSync(join(dir, 'samples.csv'), `${csv.join('\n')}\n`);
  await reportRuns([dir]);
  const v = await open(join(dir, 'report.html'));
  try {
    assert.deepEqual(v.consoleErrors, []);
    // Vega-Lite keeps 30 entries of a legend unless told otherwise
    const legends = await v.page.evaluate(() => Object.fromEntries([...document.querySelectorAll('figure.plot')].map((fig) => [fig.id, [...fig.querySelectorAll('g.role-legend-label text')].map((t) => t.textContent)])));
    for (const id of ['fig-distribution', 'fig-ecdf', 'fig-box', 'fig-run-order', 'fig-boot-medians', 'fig-forest']) {
      for (const name of names) assert.ok(legends[id]!.includes(name), `${id}'s legend names ${name}: ${legends[id]!.slice(-3).join(', ')}`);
    }
    assertFits(await widths(v.page), 'many');
    assertColoursNamed(await unnamedColours(v.page), 'many');
  } finally {
    await v.page.close();
  }
});

test('hostile names from a foreign samples.csv show as text and run nothing', async () => {
  const dir = join(tmp, 'hostile');
  cpSync(join(FIXTURES, 'real-small'), dir, { recursive: true });
  rmSync(join(dir, 'run.json'));
  rmSync(join(dir, 'events.csv'));
  const evil = ['<img src=x onerror=alert(1)>', '"><svg onload=alert(2)>'];
  const csv = ['scenario,kernel,boot,sample,warmup,execs,ns_per_exec'];
  evil.forEach((name, i) => {
    for (let s = 0; s < 8; s++) csv.push(`"${name.replace(/"/g, '""')}","<script>alert(3)</script>",0,${s},0,20,${200000 * (1 + i * 0.05) + s * 37}`);
  });
  writeFileSync(join(dir, 'samples.csv'), `${csv.join('\n')}\n`);
  await reportRuns([dir]);
  const v = await open(join(dir, 'report.html'));
  try {
    await v.page.waitForTimeout(200);
    assert.deepEqual(v.dialogs, []);
    assert.deepEqual(v.consoleErrors, []);
    assert.deepEqual(v.foreignRequests, []);
    const injected = await v.page.evaluate(() => ({
      imgs: document.querySelectorAll('img').length,
      scripts: [...document.querySelectorAll('script')].map((s) => s.type),
      svgsWithOnload: document.querySelectorAll('svg[onload]').length,
    }));
    assert.deepEqual(injected, { imgs: 0, scripts: ['application/json'], svgsWithOnload: 0 });
    const names = await v.page.locator('#verdict tbody tr td:first-child').allInnerTexts();
    assert.deepEqual(names, evil);
    const legend = await v.page.locator('#fig-ecdf svg').textContent();
    assert.ok(legend?.includes('<img src=x'), 'the SVG shows the name as text');
    const summaryJson = JSON.parse((await v.page.locator('#summary-json').textContent())!) as { scenarios: { name: string }[] };
    assert.deepEqual(summaryJson.scenarios.map((s) => s.name), evil);
  } finally {
    await v.page.close();
  }
});
