// The E1 chain with real parts, as a rig runs it: `dtmfguard-sim run` starts the simulated dual-E1
// appliance on a socat pty with span 1 timeslot 1 fed from the scenario in real time, the daemon
// over serialport, the mask tone through the CLI, secure mode switched by `dtmfguard secure` and LOS
// by the rig socket at the scenario's steps, tcpdump on the port the board mirrors its masked
// channel to, the verifier over the capture, /metrics and the Nagios check during and after the
// alarm. Then the negative control: the same call with masking disabled fails the verifier with the
// card number listed.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cardDataIn } from '../../../firmware-sim/chain/card-scan.ts';
import { runChain } from '../../../firmware-sim/chain/chain.ts';
import { loadScenario } from '../../../firmware-sim/scenario/schema.ts';
import { DTMFGUARD_SIM, run } from '../../helpers/sim-process.ts';

const SCENARIO = join(import.meta.dirname, '../../../firmware-sim/scenarios/e1-ivr-with-alarm.json');
// What the scenario keys: the menu choice outside secure mode, then a card-scheme test PAN in it.
const MENU_DIGIT = '3';
const KEYED_PAN = '5555555555554444';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Digit {
  digit: string;
  source: string;
}

describe('end to end on a dual-E1 appliance fed from a scenario', () => {
  it('masks the PAN, passes the menu digit, raises and clears LOS, and the host never writes the card number', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'dg-e2e-e1-'));
    dirs.push(workDir);
    const r = await runChain({ scenario: loadScenario(SCENARIO), workDir, keep: true });
    expect(r.expectations.filter((e) => !e.ok)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.mode).toBe('tdm');
    expect(r.keyedInSecureMode).toBe(KEYED_PAN.length);
    expect(r.keyedOutside).toBe(1);
    // The verifier sees the menu digit as keyed and every PAN digit as the mask tone '0', nothing else.
    const found = r.verify.digits as Digit[];
    expect(found.filter((d) => d.digit === MENU_DIGIT)).toHaveLength(1);
    expect(found.filter((d) => d.digit === '0')).toHaveLength(KEYED_PAN.length);
    expect(found.every((d) => d.source === 'inband')).toBe(true);
    // The menu digit outside secure mode is reported as one (it is not masked), so the verdict is "leak".
    expect(r.verify).toMatchObject({ exitCode: 1, result: 'leak' });
    expect(r.maskedDigitsReported).toBe(KEYED_PAN.length);
    // Secure on, secure off, los on, los off: each held for the CLI process that did it.
    expect(r.caller.inserted).toHaveLength(4);
    expect(r.alarms).toEqual([expect.objectContaining({ name: 'los', span: 1, raised: true, cleared: true, checkDuring: expect.objectContaining({ exitCode: 2 }) })]);
    expect(r.alarms![0].checkDuring!.line).toMatch(/^DTMFGUARD CRITICAL - .*span 1 LOS/);
    expect(r.check).toMatchObject({ exitCode: 0, line: expect.stringMatching(/^DTMFGUARD OK - /) });
    expect(r.hostOutput).toMatch(/dtmfguard_span_alarm\{span="1",alarm="los"\} 0/);
    expect(r.hostOutput).toMatch(/dtmfguard_masked_digits_total\{channel="1"\} 16/);
    // PCI DSS: scan every byte the host wrote for Luhn-valid runs (outside the audit log's SHA-256
    // chain, where random hex holds such runs by chance) and for the keyed sequence.
    expect(r.hostOutput.length).toBeGreaterThan(10_000);
    expect(r.hostOutput).not.toContain(KEYED_PAN);
    expect(cardDataIn(r.hostOutput)).toEqual([]);
  });

  it('negative control: with masking disabled the verifier fails and lists the PAN digits', async () => {
    const r = await run(DTMFGUARD_SIM, ['run', SCENARIO, '--no-masking', '--verify', '--json'], {}, { timeoutMs: 90_000 });
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.mode).toBe('tdm');
    expect(result.verify.exitCode).toBe(1);
    expect(result.verify.result).toBe('leak');
    // The menu digit, then the PAN, in the order keyed: nothing was masked.
    expect(result.verify.digits.map((d: Digit) => d.digit).join('')).toBe(`${MENU_DIGIT}${KEYED_PAN}`);
    expect(result.maskedDigitsReported).toBe(0);
    expect(result.expectations.find((e: { what: string }) => /pass unchanged/.test(e.what))).toMatchObject({ ok: true, detail: '17 of 17 found as keyed' });
    // The alarm part does not depend on masking.
    expect(result.alarms[0]).toMatchObject({ raised: true, cleared: true });
    expect(r.stderr).toMatch(/secure mode is left alone|skip/);
  });
});
