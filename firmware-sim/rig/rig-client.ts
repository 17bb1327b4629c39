/** The client side of the rig socket (rig-protocol.ts), for `dtmfguard-sim fault` and tests. */
import { connect } from 'node:net';
import { DgError, EXIT } from '../../src/errors.ts';
import type { RigRequest, RigResponse } from './rig-protocol.ts';

/** Sends one request and returns the answer. DG5909 (exit 3) when no simulator answers. */
export function rigCall(path: string, req: RigRequest, timeoutMs = 5000): Promise<RigResponse> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    let buf = '';
    const unreachable = (why: string) => new DgError('DG5909', `no simulator answers on --rig-socket ${path} (${why}); start dtmfguard-sim with --rig-socket ${path}`, EXIT.unreachable);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(unreachable(`no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.once('connect', () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.end();
      try {
        resolve(JSON.parse(buf.slice(0, nl)) as RigResponse);
      } catch {
        reject(unreachable('answer is not JSON'));
      }
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(unreachable(e.code ?? e.message));
    });
  });
}
