/**
 * A scenario's expectations checked against what the verifier found in the mirror capture: every
 * digit keyed in secure mode arrives as the mask digit only, digits keyed outside secure mode pass
 * unchanged, nothing else looks like a digit. Times are RTP stream times (ms from the first packet).
 * The scenario's expected span alarms are judged from what the chain saw of the daemon: the
 * /metrics gauge raised and cleared, and the Nagios check CRITICAL during and OK after.
 */
import type { RenderedScenario } from '../scenario/render.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { RtpCallerResult } from './rtp-caller.ts';

export interface FoundDigit {
  digit: string;
  startMs: number;
  endMs: number;
  source: 'inband' | 'rfc4733';
}

export interface Expectation {
  what: string;
  ok: boolean;
  detail: string;
}

/** One expected span alarm as the chain watched it through the daemon. */
export interface AlarmObservation {
  name: string;
  span: number;
  /** `dtmfguard_span_alarm{span,alarm}` was seen at 1 ... */
  raised: boolean;
  /** ... and later back at 0. */
  cleared: boolean;
  /** `dtmfguard check` run while it was raised. */
  checkDuring?: { exitCode: number | null; line: string };
}

/** Slack around a keyed digit: the board's 40 ms lookahead delay plus the mask's padding and edge estimates. */
const SLACK_MS = 120;

export function evaluateExpectations(
  scenario: Scenario,
  rendered: RenderedScenario,
  caller: Pick<RtpCallerResult, 'toStreamMs'>,
  found: FoundDigit[],
  extra: {
    maskedDigitsReported: number;
    disableMasking: boolean;
    /** Expected alarms as watched; absent when the chain does not watch alarms (SIP edge). */
    alarms?: AlarmObservation[];
    /** `dtmfguard check` once the call and its alarms were over. */
    checkAfter?: { exitCode: number | null; line: string };
  },
): Expectation[] {
  const mask = scenario.maskTone;
  const keyed = rendered.keyed.filter((k) => k.leg === 'caller');
  const near = (k: (typeof keyed)[number]) => {
    const a = caller.toStreamMs(k.startMs) - SLACK_MS;
    const b = caller.toStreamMs(k.endMs) + SLACK_MS + scenario.lookaheadMs;
    return found.filter((d) => d.endMs >= a && d.startMs <= b);
  };
  const out: Expectation[] = [];
  const secureKeys = extra.disableMasking ? [] : keyed.filter((k) => k.secure);
  const openKeys = extra.disableMasking ? keyed : keyed.filter((k) => !k.secure);

  if (scenario.expect.noLeaks) {
    const leaked = secureKeys.filter((k) => near(k).some((d) => d.digit !== mask));
    out.push({ what: 'no digit keyed in secure mode leaves the board', ok: leaked.length === 0, detail: `${secureKeys.length - leaked.length} of ${secureKeys.length} secure digits show no other digit than '${mask}'` });
    // Digits long enough for a Q.24 receiver (40 ms) show as one mask digit each.
    const long = secureKeys.filter((k) => k.endMs - k.startMs >= 40);
    const masked = long.filter((k) => near(k).some((d) => d.digit === mask && d.source === 'inband'));
    out.push({ what: 'every digit keyed in secure mode is replaced by the mask tone', ok: masked.length === long.length, detail: `${masked.length} of ${long.length} keyed digits found as '${mask}' in-band` });
    const explained = new Set(keyed.flatMap((k) => near(k)));
    const stray = found.filter((d) => !explained.has(d) && d.digit !== mask);
    out.push({ what: 'nothing else in the capture looks like a digit', ok: stray.length === 0, detail: stray.length ? `${stray.length} unexplained digit(s)` : 'none' });
    if (!extra.disableMasking) out.push({ what: 'the board reports every masked digit (a count, never the value)', ok: extra.maskedDigitsReported >= secureKeys.length, detail: `${extra.maskedDigitsReported} reported for ${secureKeys.length} keyed` });
  }
  if (scenario.expect.passThrough || extra.disableMasking) {
    const passed = openKeys.filter((k) => near(k).some((d) => d.digit === k.key));
    out.push({ what: 'digits keyed outside secure mode pass unchanged', ok: passed.length === openKeys.length, detail: `${passed.length} of ${openKeys.length} found as keyed` });
  }
  const status = (c: { exitCode: number | null; line: string }) => `exit ${c.exitCode}: ${c.line.split(' | ')[0] || '(no output)'}`;
  for (const want of scenario.expect.alarms) {
    const what = `span ${want.span} alarm ${want.name} raised and cleared`;
    const seen = extra.alarms?.find((a) => a.name === want.name && a.span === want.span);
    if (!seen) {
      out.push({ what, ok: false, detail: extra.alarms ? 'not watched' : 'this chain does not watch span alarms' });
      continue;
    }
    const gauge = `dtmfguard_span_alarm{span="${want.span}",alarm="${want.name}"}`;
    out.push({ what, ok: seen.raised && seen.cleared, detail: `/metrics ${gauge} ${seen.raised ? 'went to 1' : 'never went to 1'}${seen.raised ? (seen.cleared ? ' and back to 0' : ' and stayed there') : ''}` });
    // Nagios plugin convention: 2 is CRITICAL (src/cli/check.ts).
    out.push({ what: `dtmfguard check is CRITICAL while span ${want.span} ${want.name} is raised`, ok: seen.checkDuring?.exitCode === 2, detail: seen.checkDuring ? status(seen.checkDuring) : 'not run: the alarm was never seen raised' });
  }
  if (scenario.expect.alarms.length > 0) {
    out.push({ what: 'dtmfguard check is OK once the alarms cleared', ok: extra.checkAfter?.exitCode === 0, detail: extra.checkAfter ? status(extra.checkAfter) : 'not run' });
  }
  return out;
}
