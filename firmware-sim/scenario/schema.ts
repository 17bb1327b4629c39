/**
 * The scenario file: a scripted call for the simulator and test rigs. A timeline of steps played
 * in order on the caller leg (speech, pauses, keyed digits), with secure mode switched and faults
 * injected at the moments the steps say, and the expectations a rig checks afterwards.
 * The format is documented in docs/scenarios.md.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DgError } from '../../src/errors.ts';
import { isDtmfKey, MASK_TONES } from '../../src/dsp/dtmf-keys.ts';

const ms = z.number().int().min(0).max(3_600_000);

const speech = z.object({
  speech: z.object({
    ms: ms,
    /** Mean level of the voiced parts. */
    levelDbm0: z.number().min(-60).max(0).default(-20),
    /** Seed of the speech-like generator: the same seed gives the same audio. */
    seed: z.number().int().default(1),
    leg: z.enum(['caller', 'agent']).default('caller'),
  }),
});

const pause = z.object({ pause: z.object({ ms: ms }) });

const digits = z.object({
  digits: z.object({
    keys: z.string().min(1).max(64).refine((s) => [...s].every(isDtmfKey), 'keys must be DTMF keys: 0-9 * # A-D'),
    toneMs: ms.min(1).default(80),
    gapMs: ms.default(80),
    levelDbm0: z.number().min(-60).max(3).default(-8),
    twistDb: z.number().min(-20).max(20).default(0),
    /** Who keys them: the caller, or the agent (the agent's trigger code starts secure mode). */
    leg: z.enum(['caller', 'agent']).default('caller'),
    /** Also send RFC 4733 telephone-events for these digits (SIP edge). */
    events: z.boolean().default(false),
  }),
});

const secure = z.object({ secure: z.boolean() });

const fault = z.object({
  fault: z.object({
    name: z.string().regex(/^[a-z][a-z-]*$/, 'fault names are lower-case words, e.g. los'),
    value: z.union([z.enum(['on', 'off']), z.number(), z.string()]),
    span: z.number().int().min(1).optional(),
    channel: z.number().int().min(1).optional(),
  }),
});

export const stepSchema = z.union([speech, pause, digits, secure, fault]);

export const scenarioSchema = z.object({
  name: z.string().min(1),
  description: z.string().default(''),
  /** Hardware profile the scenario is meant for (a file name in hardware-profiles/ without .json). */
  profile: z.string().default('sip-edge'),
  codec: z.enum(['alaw', 'ulaw']).default('ulaw'),
  packetMs: z.union([z.literal(10), z.literal(20), z.literal(30), z.literal(40), z.literal(60)]).default(20),
  maskTone: z.enum(MASK_TONES).default('#'),
  lookaheadMs: z.number().int().min(0).max(1000).default(40),
  timeline: z.array(stepSchema).min(1),
  expect: z
    .object({
      /** Every digit keyed in secure mode reaches the agent and the mirror as the mask digit only. */
      noLeaks: z.boolean().default(true),
      /** Digits keyed outside secure mode pass unchanged and are found by the verifier. */
      passThrough: z.boolean().default(true),
      /** Alarms that must be raised and then cleared during the call. */
      alarms: z.array(z.object({ name: z.string(), span: z.number().int().min(1).default(1) })).default([]),
    })
    .prefault({}),
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type Step = z.infer<typeof stepSchema>;

export function parseScenario(data: unknown, source = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new DgError('DG5201', `${source}: ${where}: ${issue.message}`);
  }
  return result.data;
}

export function loadScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DgError('DG5202', `cannot read scenario ${path} (${(e as NodeJS.ErrnoException).code}); check the path`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new DgError('DG5203', `scenario ${path} is not valid JSON (${(e as Error).message})`);
  }
  return parseScenario(data, path);
}
