/**
 * The installer's configuration file: absolute settings for an appliance (mask tone, trigger code,
 * span line settings, SIP/RTP edge), as JSON. A hardware profile is accepted too: its defaults and
 * interface settings are the configuration. Every problem names the field it is in (DG3xxx).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ConfigChange } from '../appliance/config-transaction.ts';
import { DgError } from '../errors.ts';
import { profileSchema, sipSchema } from '../../hardware-profiles/schema.ts';

const spanSettings = z.strictObject({
  span: z.number().int().min(1).max(8),
  framing: z.enum(['crc4', 'no-crc4', 'esf', 'd4']),
  lineCode: z.enum(['hdb3', 'ami', 'b8zs']),
  lbo: z.number().int().min(0).max(7),
  clock: z.enum(['line', 'internal']),
});

export const configFileSchema = z
  .strictObject({
    maskTone: z.enum(['#', '0', '1']).optional(),
    triggerCode: z.string().regex(/^[0-9*#]{1,8}$/, 'expected 1 to 8 of 0-9 * #').optional(),
    spans: z.array(spanSettings).max(8).optional(),
    sip: sipSchema.optional(),
  })
  .refine((c) => Object.values(c).some((v) => v !== undefined), 'the file sets nothing: give maskTone, triggerCode, spans or sip');

export type ConfigFile = z.output<typeof configFileSchema>;

function where(path: ReadonlyArray<PropertyKey>): string {
  return path.length ? path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '(top level)';
}

export function toConfigChange(c: ConfigFile): ConfigChange {
  return {
    ...(c.maskTone !== undefined && { maskTone: c.maskTone }),
    ...(c.triggerCode !== undefined && { trigger: c.triggerCode }),
    ...(c.spans && { spans: c.spans.map((s) => ({ span: s.span, framing: s.framing, line_code: s.lineCode, lbo: s.lbo, clock: s.clock })) as ConfigChange['spans'] }),
    ...(c.sip && { sip: { listen: c.sip.listen, forward: c.sip.forward, pt_pcmu: c.sip.ptPcmu, pt_pcma: c.sip.ptPcma, pt_event: c.sip.ptEvent } as ConfigChange['sip'] }),
  };
}

export function fromConfigChange(c: ConfigChange): ConfigFile {
  return {
    ...(c.maskTone !== undefined && { maskTone: c.maskTone }),
    ...(c.trigger !== undefined && { triggerCode: c.trigger }),
    ...(c.spans && { spans: c.spans.map((s) => ({ span: s.span, framing: s.framing, lineCode: s.line_code, lbo: s.lbo, clock: s.clock })) as ConfigFile['spans'] }),
    ...(c.sip && { sip: { listen: c.sip.listen, forward: c.sip.forward, ptPcmu: c.sip.pt_pcmu, ptPcma: c.sip.pt_pcma, ptEvent: c.sip.pt_event } }),
  } as ConfigFile;
}

/** Parses a configuration file or a hardware profile into the settings to apply. */
export function parseConfigData(data: unknown, source: string): { change: ConfigChange; kind: 'config' | 'profile' } {
  if (data && typeof data === 'object' && 'model' in data) {
    const r = profileSchema.safeParse(data);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new DgError('DG3201', `${source}: hardware profile field ${where(issue.path)}: ${issue.message}`);
    }
    const p = r.data;
    const file: ConfigFile = {
      maskTone: p.defaults.maskTone,
      triggerCode: p.defaults.triggerCode,
      ...(p.interfaces.spans.length && { spans: p.interfaces.spans.map((s, i) => ({ span: i + 1, framing: s.framing, lineCode: s.lineCode, lbo: s.lbo, clock: s.clock })) }),
      ...(p.interfaces.sip && { sip: p.interfaces.sip }),
    };
    return { change: toConfigChange(file), kind: 'profile' };
  }
  const r = configFileSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new DgError('DG3202', `${source}: field ${where(issue.path)}: ${issue.message}`);
  }
  return { change: toConfigChange(r.data), kind: 'config' };
}

export function loadConfigFile(path: string): { change: ConfigChange; kind: 'config' | 'profile' } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DgError('DG3203', `cannot read ${path} (${(e as NodeJS.ErrnoException).code}); check the path`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new DgError('DG3204', `${path} is not JSON (${(e as Error).message})`);
  }
  return parseConfigData(data, path);
}
