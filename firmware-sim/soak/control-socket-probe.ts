/**
 * Garbage on a daemon's control socket: one bad line per connection (random bytes, or a damaged
 * request naming a method that does not exist, so nothing can be executed by accident). The daemon
 * must answer with an error line or close the connection (over-long input); no answer within
 * PROBE_MS, or the daemon gone, is a crash.
 */
import { connect } from 'node:net';
import { Rng, mutate, type ParserTally } from './parser-fuzz.ts';

const PROBE_MS = 3000;
const SEED_REQUEST = Buffer.from('{"id":1,"method":"soak.no-such-method","params":{"x":1}}');

export async function probeControlSocket(path: string, rng: Rng, tally: ParserTally): Promise<void> {
  const line = Buffer.from(Buffer.from(mutate(rng, SEED_REQUEST)).map((b) => (b === 0x0a ? 0x20 : b)));
  tally.tried++;
  const outcome = await new Promise<'answered' | 'closed' | 'hang' | 'refused'>((resolve) => {
    const s = connect(path);
    let buf = '';
    const timer = setTimeout(() => (s.destroy(), resolve('hang')), PROBE_MS);
    s.on('connect', () => s.write(Buffer.concat([line, Buffer.from('\n')])));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\n')) {
        clearTimeout(timer);
        s.destroy();
        resolve('answered');
      }
    });
    s.on('error', () => (clearTimeout(timer), resolve('refused')));
    s.on('close', () => (clearTimeout(timer), resolve('closed')));
  });
  if (outcome === 'answered' || outcome === 'closed') tally.rejected++;
  else {
    tally.crashes++;
    if (tally.examples.length < 5) tally.examples.push(`${outcome}: ${JSON.stringify(line.toString('latin1').slice(0, 80))}`);
  }
}
