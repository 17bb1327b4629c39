/**
 * The rig socket's messages: one JSON object per line each way, over a Unix socket.
 *
 *   → {"fault":"los","value":"on","span":1}     ← {"ok":true,"faults":[{"fault":"los","area":"line","value":"on","span":1}]}
 *   → {"list":true}                             ← {"ok":true,"faults":[...every fault...]}
 *   → {"spans":true[,"span":1]}                 ← {"ok":true,"spans":[...both ends and the 15-minute intervals...]}
 *   → {"stats":true}                            ← {"ok":true,"stats":{...the DeviceServer's counters, executions per command...}}
 *   → anything wrong                            ← {"ok":false,"code":"DG5902","error":"fault ber: bad value ..."}
 */
import { z } from 'zod';
import type { FaultEntry } from '../faults/registry.ts';
import type { SpanReport } from './span-report.ts';
import type { DeviceServerStats } from '../server/device-server.ts';

/** A request line longer than this is refused: requests are a few dozen bytes. */
export const RIG_MAX_LINE = 4096;

const scopeNumber = z.number().int().min(1).max(4096);

export const rigRequest = z.union([
  z.strictObject({ list: z.literal(true) }),
  z.strictObject({ spans: z.literal(true), span: scopeNumber.optional() }),
  z.strictObject({ stats: z.literal(true) }),
  z.strictObject({
    fault: z.string().min(1).max(64),
    value: z.union([z.string().max(64), z.number(), z.boolean()]),
    span: scopeNumber.optional(),
    channel: scopeNumber.optional(),
  }),
]);
export type RigRequest = z.infer<typeof rigRequest>;

export type RigResponse = { ok: true; faults: FaultEntry[] } | { ok: true; spans: SpanReport[] } | { ok: true; stats: DeviceServerStats } | { ok: false; code: string; error: string };
