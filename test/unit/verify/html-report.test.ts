/**
 * The HTML report as text (the browser test is in test/integration/verify): everything from the
 * input is escaped, the embedded JSON cannot close its script element, and the page text never
 * runs keyed digits together into a Luhn-valid run.
 */
import { describe, expect, it } from 'vitest';
import { findLuhnRuns } from '../../../src/redact.ts';
import { renderHtmlReport } from '../../../src/verify/html-report.ts';
import { summarize, type DigitReport, type FileVerdict } from '../../../src/verify/verdict.ts';

/** A test PAN keyed in-band, one digit object each, as the verifier reports them. */
function panFile(name: string): FileVerdict {
  const digits: DigitReport[] = [...'4111111111111111'].map((d, i) => ({ digit: d as DigitReport['digit'], startMs: 1000 + i * 200, endMs: 1080 + i * 200, source: 'inband', leak: true, stream: 's1' }));
  return { file: name, kind: 'pcap', warnings: ['a </script><b>warning</b>'], digits, leaks: digits.length };
}

describe('HTML report text', () => {
  it('escapes file names and warnings, and keeps "</script>" out of the embedded JSON', () => {
    const html = renderHtmlReport(summarize([panFile('<img src=x onerror=alert(1)>.pcap')], '#'));
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;.pcap');
    expect(html).not.toContain('<b>warning</b>');
    const script = /<script type="application\/json" id="verdict-json">([\s\S]*?)<\/script>/.exec(html)![1];
    expect(JSON.parse(script).files[0].file).toBe('<img src=x onerror=alert(1)>.pcap');
  });

  it('a leaked test PAN appears as 16 separate digits, never as one Luhn-valid run (tags and JSON stripped)', () => {
    const html = renderHtmlReport(summarize([panFile('call.pcap')], '#'));
    const visible = html.replace(/<script[\s\S]*?<\/script>/g, ' ').replace(/<[^>]+>/g, '');
    expect(visible.match(/\b4\b/g)?.length).toBeGreaterThanOrEqual(1);
    expect(findLuhnRuns(visible)).toEqual([]);
    // The check can fail: the same digits run together are found.
    expect(findLuhnRuns('4111111111111111')).toHaveLength(1);
    expect(html).toMatch(/LEAK: 16 digit\(s\) other than the mask tone &#39;#&#39;/);
  });
});
