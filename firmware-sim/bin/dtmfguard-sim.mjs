#!/usr/bin/env -S node --no-memory-reducer
// Runs the TypeScript sources through tsx so a fresh `npm ci` needs no build step.
//
// --no-memory-reducer: V8's memory reducer runs full mark-compacts in an isolate whose allocation
// has gone quiet (tsx's loader thread some 8 s after start, the relay's own once it allocates
// little: 2-18 ms each, docs/benchmarks.md, RTP relay), and the relay's packets have under 1 ms of
// slack (issue 4). It must be given as the process starts: set later with v8.setFlagsFromString it
// only reaches isolates made after it (measured: the main isolate still reduced).
import { register } from 'tsx/esm/api';

register();
await import('../cli/dtmfguard-sim.ts');
