// The whole chain with real parts, as a rig runs it: `dtmfguard-sim run` starts the simulated SIP
// edge on a socat pty, the daemon over serialport, configures it through the CLI, plays the card
// payment as real RTP on loopback, captures the mirror with tcpdump, verifies the capture, scrapes
// /metrics and runs the Nagios check. Then the negative control: the same call with masking
// disabled must fail the verifier with the keyed digits listed.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cardDataIn } from '../../../firmware-sim/chain/card-scan.ts';
import { runChain } from '../../../firmware-sim/chain/chain.ts';
import { loadScenario } from '../../../firmware-sim/scenario/schema.ts';
import { DTMFGUARD_SIM, run } from '../../helpers/sim-process.ts';

const SCENARIO = join(import.meta.dirname, '../../../firmware-sim/scenarios/card-payment.json');
// The test PAN the scenario keys (a card-scheme test number): it must never appear in host output.
const KEYED_PAN = '4111111111111111';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('end to end on the SIP edge', () => {
  it('masks every secure digit, verifies clean, and the host never writes the card number', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'dg-e2e-'));
    dirs.push(workDir);
    const r = await runChain({ scenario: loadScenario(SCENARIO), workDir, keep: true });
    expect(r.expectations.filter((e) => !e.ok)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.verify).toMatchObject({ exitCode: 0, result: 'clean' });
    expect(r.verify.digits.length).toBeGreaterThanOrEqual(r.keyedInSecureMode);
    expect(new Set(r.verify.digits.map((d) => d.digit))).toEqual(new Set(['#']));
    expect(r.maskedDigitsReported).toBe(r.keyedInSecureMode);
    expect(r.check).toMatchObject({ exitCode: 0, line: expect.stringMatching(/^DTMFGUARD OK - /) });
    expect(r.caller.refused).toBe(0);
    // PCI DSS: scan every byte the host wrote for Luhn-valid runs (outside the audit log's SHA-256
    // chain, where random hex holds such runs by chance) and for the keyed sequence.
    expect(r.hostOutput.length).toBeGreaterThan(10_000);
    expect(r.hostOutput).toMatch(/dtmfguard_masked_digits_total\{channel="1"\} 23/);
    expect(r.hostOutput).not.toContain(KEYED_PAN);
    expect(cardDataIn(r.hostOutput)).toEqual([]);
  });

  it('negative control: with masking disabled the verifier fails and lists the keyed digits', async () => {
    const r = await run(DTMFGUARD_SIM, ['run', SCENARIO, '--no-masking', '--json'], {}, { timeoutMs: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.verify.exitCode).toBe(1);
    expect(result.verify.result).toBe('leak');
    const inband = result.verify.digits.filter((d: { source: string }) => d.source === 'inband').map((d: { digit: string }) => d.digit).join('');
    // The PAN, the expiry and the security code, in the order keyed.
    expect(inband).toBe(`${KEYED_PAN}1229123`);
    expect(result.verify.digits.filter((d: { source: string }) => d.source === 'rfc4733').map((d: { digit: string }) => d.digit).join('')).toBe(KEYED_PAN);
    expect(result.expectations.find((e: { what: string }) => /pass unchanged/.test(e.what))).toMatchObject({ ok: true });
  });
});
