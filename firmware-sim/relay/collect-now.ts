/**
 * One full garbage collection, now, for a caller that knows the process is idle: V8 moves every
 * live object of the young generation to the old one in it. The relay runs it at start when it has
 * made spare streams (rtp-relay.ts `streams`): left young, their objects would be copied by the
 * first young-generation collections in the middle of calls, pausing the event loop some 5 ms a
 * thousand streams (docs/benchmarks.md, RTP relay); here it costs 19-29 ms with a thousand spares,
 * before any call.
 *
 * `gc` is only a function when V8 is told `--expose-gc`. Given at run time, the flag reaches the
 * contexts made after it, so the function is taken from a new context; it collects the whole heap.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

export function collectGarbageNow(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}
