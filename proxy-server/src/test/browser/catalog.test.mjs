// Drives Granary's catalog page in Debian's Chromium through playwright-core (no browser download):
//   node catalog.test.mjs <granary URL> <screenshot.png> <expectations.json>
// Run by CatalogBrowserIT against a Granary on loopback that committed the modules the expectations name.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const [, , base, screenshot, expectations] = process.argv;
const want = JSON.parse(readFileSync(expectations, 'utf8'));
const results = { passed: 0, failed: 0 };

async function check(name, fn) {
  try {
    await fn();
    results.passed++;
    console.log('ok   ' + name);
  } catch (e) {
    results.failed++;
    console.log('FAIL ' + name + '\n' + (e && e.stack ? e.stack : e));
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e));
  page.on('console', (m) => {
    // The hostile module path below is answered 404, which Chromium reports; anything else is a problem.
    if (m.type() === 'error' && !/status of 404/.test(m.text())) problems.push('console: ' + m.text());
  });
  page.on('dialog', (d) => { problems.push('dialog: ' + d.message()); d.dismiss(); });

  await check('the page loads with stats and every stored module', async () => {
    await page.goto(base + '/');
    await page.waitForSelector('#stats .card');
    await page.waitForSelector('#module-list .module-link');
    const cards = Object.fromEntries(await page.$$eval('#stats .card',
      (cs) => cs.map((c) => [c.querySelector('h3').textContent, c.querySelector('.big').textContent])));
    assert.equal(cards['Modules'], String(want.modules.length));
    assert.match(cards['hot tier hit ratio'], /^\d+\.\d %$/);
    assert.match(cards['disk tier hit ratio'], /^\d+\.\d %$/);
    assert.equal(cards['Versions committed'], String(want.modules.reduce((n, m) => n + m.versions.length, 0)));
    const paths = await page.$$eval('#module-list .module-link .path', (els) => els.map((e) => e.textContent));
    assert.deepEqual(paths, want.modules.map((m) => m.path).sort());
  });

  await check('search narrows the list as one types', async () => {
    await page.fill('#q', want.search);
    await page.waitForFunction((q) => location.hash === '#/?q=' + q
      && document.querySelectorAll('#module-list .module-link').length === 1, want.search);
    const found = await page.$$eval('#module-list .module-link .path', (els) => els.map((e) => e.textContent));
    assert.deepEqual(found, [want.searchFinds]);
  });

  await check('a module shows its versions with time fetched, size, h1 and verification', async () => {
    await page.click('#module-list .module-link');
    await page.waitForSelector('#versions tbody tr');
    const m = want.modules.find((x) => x.path === want.searchFinds);
    assert.equal(await page.textContent('#module-path'), m.path);
    const rows = await page.$$eval('#versions tbody tr', (trs) => trs.map((tr) => ({
      version: tr.dataset.version,
      cells: [...tr.children].map((td) => td.textContent.trim()),
    })));
    assert.deepEqual(rows.map((r) => r.version), m.versions.map((v) => v.version));
    for (const v of m.versions) {
      const row = rows.find((r) => r.version === v.version);
      assert.match(row.cells[1], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/, 'fetched');
      assert.match(row.cells[3], /^\d+(\.\d)? (B|KiB)$/, 'size');
      assert.equal(row.cells[4], v.h1);
      assert.equal(row.cells[5], v.goModH1);
      assert.match(row.cells[6], new RegExp('^verified\\s+' + want.database.replace(/\./g, '\\.')));
    }
  });

  await check('the screenshot of a module page is taken', async () => {
    await page.screenshot({ path: screenshot });
    const png = readFileSync(screenshot);
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.equal(png.readUInt32BE(16), 1280);
    assert.equal(png.readUInt32BE(20), 900);
  });

  await check('a private module is shown pinned', async () => {
    await page.goto(base + '/#/m/' + encodeURIComponent(want.private));
    await page.waitForSelector('#versions tbody tr');
    assert.match(await page.textContent('#versions tbody tr td.verification'), /^pinned \(private\)/);
  });

  await check('markup in a search is shown as text and never runs', async () => {
    const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    await page.goto(base + '/#/?q=' + encodeURIComponent(hostile));
    await page.waitForFunction((h) => document.querySelector('#module-list h2')
      && document.querySelector('#module-list h2').textContent.includes(h), hostile);
    assert.equal(await page.$$eval('#results img, #results script', (els) => els.length), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
  });

  await check('markup in a module path is shown as text and never runs', async () => {
    const hostile = 'example.com/<svg onload="window.__pwned=3">';
    await page.goto(base + '/#/m/' + encodeURIComponent(hostile));
    await page.waitForSelector('#module .error');
    assert.match(await page.textContent('#module .error'), /malformed module path/);
    assert.equal(await page.$$eval('#module svg, #module img, #module script', (els) => els.length), 0);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
  });

  await check('no script error, console error or dialog on the way', async () => {
    assert.deepEqual(problems, []);
  });
} finally {
  await browser.close();
}
console.log(results.passed + ' passed, ' + results.failed + ' failed');
process.exit(results.failed === 0 ? 0 : 1);
