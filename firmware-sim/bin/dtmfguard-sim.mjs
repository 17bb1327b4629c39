#!/usr/bin/env -S node --no-memory-reducer --min-semi-space-size=64 --max-semi-space-size=64
// Runs the TypeScript sources through tsx so a fresh `npm ci` needs no build step.
//
// The flags are for the relay, whose packets have under 1 ms of slack for collector pauses (issue 4;
// docs/benchmarks.md, RTP relay). They must be given as the process starts: set later with
// v8.setFlagsFromString they only reach isolates made after it (measured: the main isolate still
// reduced).
// --no-memory-reducer: V8's memory reducer runs full mark-compacts in an isolate whose allocation
// has gone quiet (tsx's loader thread some 8 s after start, the relay's own once it allocates
// little): 2-18 ms each.
// --min/max-semi-space-size=64 (MB): a young generation that stays this size. By default it
// shrinks after a full collection and fills in 3-5 s at 1,000 calls, and each young collection
// stopped the loop 1-4 ms; at 64 MB one comes every 20 s or so, and with the calls' state reused
// (rtp-relay.ts `streams`) it has little to copy. It costs up to 128 MB of memory the process
// may touch.
import { register } from 'tsx/esm/api';

register();
await import('../cli/dtmfguard-sim.ts');
