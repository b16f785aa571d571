/**
 * The html report in a real browser: headless Chromium from Debian's package, every request but the page's
 * own file refused and recorded. Screenshots go to `$REPORT_SCREENSHOTS` when set (to look at the design),
 * else to a temporary folder.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { REQUESTS } from '../../src/collection/collection.ts';
import { renderHtmlReport } from '../../src/report/html-report.ts';
import { Redactor } from '../../src/run/redact.ts';
import { startOrg, type TestOrg } from '../helpers/emulator.ts';
import { Chromium, CHROMIUM_PATH, chromiumAvailable, type OpenOptions } from '../helpers/chromium.ts';
import { passingRun } from '../helpers/report-fixtures.ts';
import { settingsFor, verifyAgainst } from '../integration/harness.ts';

const DESKTOP: OpenOptions = { width: 1280, height: 900 };
const PHONE: OpenOptions = { width: 390, height: 844, mobile: true };
const shots = process.env.REPORT_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'okta-risk-shots-'));

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).toString('hex'), 'a PNG signature').to.equal('89504e470d0a1a0a');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** What a person sees of the step table, measured in the page. */
const STEP_TABLE = `(() => {
  const table = document.getElementById('steps');
  const box = table.getBoundingClientRect();
  const style = getComputedStyle(table);
  const rows = [...table.querySelectorAll('tbody tr')].filter((r) => r.getBoundingClientRect().height > 0);
  return { visible: box.width > 0 && box.height > 0 && style.display !== 'none' && style.visibility === 'visible',
    rows: rows.length, top: box.top, firstScreen: innerHeight, bottomOfTable: box.bottom, scrollWidth: document.documentElement.scrollWidth };
})()`;

describe('the html report in a browser', function () {
  this.timeout(60_000);
  let browser: Chromium;
  let org: TestOrg;
  let failedReport: string;
  let passedReport: string;

  before(async function () {
    if (!chromiumAvailable()) {
      // CI installs chromium (.ci/run); only a developer machine without it may skip.
      if (process.env.CI) throw new Error(`no Chromium at ${CHROMIUM_PATH}: .ci/run should have installed Debian's chromium package`);
      console.warn(`    skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM)`);
      this.skip();
    }
    mkdirSync(shots, { recursive: true });
    // A real run's report: the org refuses the API token, so the first step fails and opens.
    org = await startOrg();
    const settings = settingsFor(org, { apiToken: '00wrongTokenWrongToken0000000000', reporters: ['html'] });
    const result = await verifyAgainst(org, settings);
    expect(result.exitCode).to.equal(1);
    failedReport = result.reports.find((r) => r.kind === 'html')!.path;
    const run = passingRun();
    passedReport = join(mkdtempSync(join(tmpdir(), 'okta-risk-report-')), 'report.html');
    writeFileSync(passedReport, renderHtmlReport({ result: run.result, runs: run.runs, redactor: new Redactor(), secretBodyRequests: [REQUESTS.getAccessToken] }));
    browser = await Chromium.launch();
  });

  after(async () => {
    await browser?.close();
    await org?.close();
  });

  it('records and refuses a request a page makes (the check can fail)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'okta-risk-control-'));
    const file = join(dir, 'control.html');
    writeFileSync(file, '<!doctype html><link rel="stylesheet" href="http://127.0.0.1:9/style.css"><img src="http://127.0.0.1:9/logo.png">');
    const page = await browser.open(file, DESKTOP);
    expect([...page.requests].sort()).to.deep.equal(['http://127.0.0.1:9/logo.png', 'http://127.0.0.1:9/style.css']);
    await page.close();
  });

  it("makes no request when opened, and shows the step table on the first screen", async () => {
    const page = await browser.open(failedReport, DESKTOP);
    const table = await page.evaluate<{ visible: boolean; rows: number; top: number; firstScreen: number; bottomOfTable: number }>(STEP_TABLE);
    expect(page.requests).to.deep.equal([]);
    expect(table.visible).to.equal(true);
    expect(table.rows).to.equal(9);
    expect(table.bottomOfTable, 'the whole table on the first screen').to.be.at.most(table.firstScreen);
    writeFileSync(join(shots, 'report-failed-light.png'), await page.screenshot());
    expect(pngSize(readFileSync(join(shots, 'report-failed-light.png')))).to.deep.equal({ width: 1280, height: 900 });
    writeFileSync(join(shots, 'report-failed-light-full.png'), await page.screenshot({ fullPage: true }));
    await page.close();
  });

  it('opens the failed step, with its request and response', async () => {
    const page = await browser.open(failedReport, DESKTOP);
    const open = await page.evaluate<string[]>(`[...document.querySelectorAll('details.step[open]')].map((d) => d.id)`);
    const exchange = await page.evaluate<boolean>(`document.querySelector('#step-service-app details.exchange').open`);
    expect(open).to.deep.equal(['step-service-app']);
    expect(exchange).to.equal(true);
    await page.close();
  });

  it('turns dark when the viewer prefers dark', async () => {
    const light = await browser.open(passedReport, DESKTOP);
    const dark = await browser.open(passedReport, { ...DESKTOP, colorScheme: 'dark' });
    const background = `getComputedStyle(document.body).backgroundColor`;
    expect(await light.evaluate<string>(background)).to.equal('rgb(255, 255, 255)');
    expect(await dark.evaluate<string>(background)).to.equal('rgb(13, 17, 23)');
    expect(dark.requests).to.deep.equal([]);
    writeFileSync(join(shots, 'report-passed-light.png'), await light.screenshot());
    writeFileSync(join(shots, 'report-passed-dark.png'), await dark.screenshot());
    await light.close();
    await dark.close();
  });

  it('fits a phone screen without scrolling sideways', async () => {
    const page = await browser.open(failedReport, PHONE);
    const table = await page.evaluate<{ visible: boolean; rows: number; scrollWidth: number }>(STEP_TABLE);
    expect(page.requests).to.deep.equal([]);
    expect(table.visible).to.equal(true);
    expect(table.rows).to.equal(9);
    expect(table.scrollWidth).to.be.at.most(PHONE.width);
    const png = await page.screenshot();
    expect(pngSize(png)).to.deep.equal({ width: 390, height: 844 });
    writeFileSync(join(shots, 'report-failed-phone.png'), png);
    writeFileSync(join(shots, 'report-failed-phone-full.png'), await page.screenshot({ fullPage: true }));
    await page.close();
  });

  it('prints every step in full', async () => {
    const page = await browser.open(passedReport, DESKTOP);
    expect(await page.evaluate<number>(`document.querySelectorAll('details:not([open])').length`)).to.be.greaterThan(0);
    const pdf = await page.printToPdf();
    expect(pdf.subarray(0, 5).toString()).to.equal('%PDF-');
    expect(await page.evaluate<number>(`document.querySelectorAll('details:not([open])').length`)).to.equal(0);
    writeFileSync(join(shots, 'report-passed.pdf'), pdf);
    await page.close();
  });
});
