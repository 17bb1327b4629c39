/**
 * An in-band worker: runs InbandStream (decode + Q.24 + attacker receivers) for the streams the
 * main thread gave it, batch by batch; at the end, flushes every stream and returns the findings.
 * Messages: in {type:'batch', buf, used} (buffer handed back with {type:'ack', buf}) and
 * {type:'end'}; out {type:'done', findings: [stream index, findings][]}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readBatch } from './inband-batch.ts';
import { InbandStream, type InbandFinding } from './inband-stream.ts';

export interface InbandWorkerData {
  attacker: boolean | undefined;
}

type InMessage = { type: 'batch'; buf: ArrayBuffer; used: number } | { type: 'end' };

const port = parentPort;
if (!port) throw new Error('inband-worker.ts runs as a worker thread (inband-pool.ts)');
const { attacker } = workerData as InbandWorkerData;
const streams = new Map<number, InbandStream>();
const findings = new Map<number, InbandFinding[]>();

const found = (idx: number): InbandFinding[] => {
  let f = findings.get(idx);
  if (!f) findings.set(idx, (f = []));
  return f;
};

port.on('message', (m: InMessage) => {
  if (m.type === 'batch') {
    readBatch(m.buf, m.used, (idx, codec, sampleOffset, codes) => {
      let s = streams.get(idx);
      if (!s) streams.set(idx, (s = new InbandStream(attacker)));
      const out = findings.get(idx);
      if (out) s.push(codec, sampleOffset, codes, out);
      else {
        const fresh: InbandFinding[] = [];
        s.push(codec, sampleOffset, codes, fresh);
        if (fresh.length > 0) findings.set(idx, fresh);
      }
    });
    port.postMessage({ type: 'ack', buf: m.buf }, [m.buf]);
  } else {
    for (const [idx, s] of streams) {
      s.flush(found(idx));
      s.dispose();
    }
    port.postMessage({ type: 'done', findings: [...findings].filter(([, f]) => f.length > 0) });
  }
});
