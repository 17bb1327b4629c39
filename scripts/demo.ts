/**
 * `npm start`: the whole product on this machine with no hardware. The simulated SIP edge appliance
 * on a pseudo-terminal, the daemon on it, a caller keying a test card number as real RTP through the
 * board's relay on loopback, tcpdump on the mirror port, and the verifier over the capture.
 * Ctrl-C stops every process it started; the pty goes with the simulator.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runChain } from '../firmware-sim/chain/chain.ts';
import { loadScenario } from '../firmware-sim/scenario/schema.ts';

const scenarioPath = process.argv[2] ?? join(import.meta.dirname, '../firmware-sim/scenarios/card-payment.json');
const workDir = join(tmpdir(), 'dtmfguard-demo');
rmSync(workDir, { recursive: true, force: true });
mkdirSync(workDir, { recursive: true });

const abort = new AbortController();
process.once('SIGINT', () => {
  process.stderr.write('\nstopping...\n');
  abort.abort();
});

const scenario = loadScenario(scenarioPath);
console.log(`dtmfguard demo: ${scenario.description}\n`);
try {
  const r = await runChain({ scenario, workDir, keep: true, signal: abort.signal, say: (line) => console.log(line) });
  console.log('');
  for (const e of r.expectations) console.log(`${e.ok ? 'ok  ' : 'FAIL'} ${e.what}: ${e.detail}`);
  console.log(`\n${r.ok ? 'PASS' : 'FAIL'}: ${r.keyedInSecureMode} digits keyed in secure mode, ${r.maskedDigitsReported} masked by the board, verifier says ${r.verify.result}.`);
  console.log(`HTML report: ${r.report}\nmirror capture: ${r.capture}\n(the metrics endpoint ${r.metricsUrl} lived as long as the daemon)`);
  // Nothing else stays: the pty, sockets and lock went with the processes.
  for (const f of ['ttyDG0', 'ttyDG0.sim', 'rig.sock', 'ttyDG0.sock']) rmSync(join(workDir, f), { force: true });
  process.exitCode = r.ok ? 0 : 1;
} catch (e) {
  console.error(`demo failed: ${(e as Error).message}`);
  process.exitCode = 1;
}
