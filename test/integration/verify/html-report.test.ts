/**
 * The HTML report opened in Debian's chromium (playwright-core), offline: the verdict is shown, the
 * spectrograms are drawn (canvas pixels not blank, and not one flat colour), the timelines have
 * visible marks, and the embedded signed verdict passes `verify-signature`. A screenshot is left in
 * the temp directory for a person to look at.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { findLuhnRuns } from '../../../src/redact.ts';
import { buildCapture } from '../../unit/verify/capture-fixture.ts';
import { dtmfguard } from './cli.ts';

let dir: string;
let browser: BrowserContext | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dg-verify-report-'));
});
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(file: string) {
  // A fresh profile directory (playwright passes it as --user-data-dir).
  browser ??= await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 900 },
  });
  const page = await browser.newPage();
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(file).href);
  return { page, requests, errors };
}

describe('HTML report in chromium', () => {
  it('renders the verdict, stream timelines and a spectrogram per digit; the embedded signed verdict checks out', async () => {
    const capture = join(dir, 'leaky-call.pcap');
    // A stream masked with '#' and one where a '4' went through in-band, a '1' leading edge survived before the mask, and a '1' event.
    writeFileSync(capture, buildCapture([
      { audio: [{ silence: 200 }, { tone: '#', ms: 80 }, { silence: 120 }, { tone: '#', ms: 80 }, { silence: 1300 }], events: [{ key: '#', atMs: 1000, ms: 100 }] },
      { audio: [{ silence: 100 }, { tone: '4', ms: 60 }, { silence: 200 }, { tone: '1', ms: 12 }, { tone: '#', ms: 90 }, { silence: 900 }], events: [{ key: '1', atMs: 900, ms: 80 }] },
    ]));
    const key = join(dir, 'verdict-key.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', key]);
    const report = join(dir, 'report.html');
    const r = await dtmfguard(['verify', '--mask-tone', '#', '--report', report, '--sign', key, capture]);
    expect(r.code, r.stderr).toBe(1);

    const { page, requests, errors } = await open(report);
    expect(errors).toEqual([]);
    // Self-contained: the only request is the file itself.
    expect(requests).toEqual([pathToFileURL(report).href]);
    await expect(page.locator('#verdict').textContent()).resolves.toMatch(/^LEAK: 3 digit\(s\) other than the mask tone '#'/);
    expect(await page.locator('#verdict').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(255, 221, 221)');
    // The input's SHA-256 is shown.
    const sha = execFileSync('sha256sum', [capture], { encoding: 'utf8' }).split(' ')[0];
    await expect(page.locator('dd code').first().textContent()).resolves.toBe(sha);

    // One figure per digit (7), each with a canvas actually drawn: many distinct colours, not blank.
    const canvases = await page.locator('canvas.spec').evaluateAll((cs) =>
      (cs as HTMLCanvasElement[]).map((c) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        const colours = new Set<number>();
        let lit = 0;
        for (let i = 0; i < d.length; i += 4) {
          colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
          if (d[i] + d[i + 1] + d[i + 2] > 300) lit++;
        }
        return { w: c.width, h: c.height, colours: colours.size, lit };
      }),
    );
    expect(canvases).toHaveLength(7);
    for (const c of canvases) {
      expect(c.w).toBeGreaterThan(50);
      expect(c.colours).toBeGreaterThan(20);
      expect(c.lit).toBeGreaterThan(0); // the tones show as bright cells
    }
    // Two timelines with visible marks: 3 leaks in red, 4 mask tones in green.
    const marks = await page.locator('svg.timeline rect').evaluateAll((rs) => rs.map((r) => ({ cls: r.getAttribute('class'), w: (r as SVGGraphicsElement).getBBox().width })));
    expect(marks.filter((m) => m.cls === 'd-leak')).toHaveLength(3);
    expect(marks.filter((m) => m.cls === 'd-mask')).toHaveLength(4);
    for (const m of marks) expect(m.w).toBeGreaterThan(0);
    await page.screenshot({ path: join(tmpdir(), 'dtmfguard-verify-report.png'), fullPage: true });

    // What the page says, as text, never runs digits together into something card-like.
    const text = await page.locator('body').innerText();
    expect(findLuhnRuns(text.replace(/[0-9a-f]{64}/g, ''))).toEqual([]);

    const sig = await dtmfguard(['verify-signature', report]);
    expect(sig.code, sig.stdout + sig.stderr).toBe(0);
    const tampered = join(dir, 'tampered.html');
    writeFileSync(tampered, readFileSync(report, 'utf8').replace('"leakCount":3', '"leakCount":0').replace('"leakCount": 3', '"leakCount": 0'));
    const bad = await dtmfguard(['verify-signature', tampered]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/NOT valid: .*altered/);
  });
});
