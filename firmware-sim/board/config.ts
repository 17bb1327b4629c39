/**
 * The board's configuration (docs/protocol.md §10): what CFG_COMMIT applies as a whole. Runtime
 * state (secure mode, loopbacks, counters) is not here: it changes at once and is not staged.
 */
import type { HardwareProfile, SipProfile, SpanProfile } from '../../hardware-profiles/schema.ts';
import { DEFAULT_SECURE_IDLE_S } from '../channel/secure-idle.ts';

export type MaskTone = '#' | '0' | '1';

export interface BoardConfig {
  maskTone: MaskTone;
  triggerCode: string;
  /** Secure mode ends by itself after this many seconds without a keyed or masked digit. */
  secureIdleS: number;
  spans: SpanProfile[];
  sip: SipProfile | null;
}

export function configFromProfile(p: HardwareProfile): BoardConfig {
  return {
    maskTone: p.defaults.maskTone,
    triggerCode: p.defaults.triggerCode,
    secureIdleS: DEFAULT_SECURE_IDLE_S,
    spans: p.interfaces.spans.map((s) => ({ ...s })),
    sip: p.interfaces.sip ? { ...p.interfaces.sip } : null,
  };
}

export function cloneConfig(c: BoardConfig): BoardConfig {
  return { ...c, spans: c.spans.map((s) => ({ ...s })), sip: c.sip ? { ...c.sip } : null };
}

/** Names of the parts that differ, in the protocol's `pending`/`changed` list form. */
export function diffConfig(a: BoardConfig, b: BoardConfig): string[] {
  const out: string[] = [];
  if (a.maskTone !== b.maskTone) out.push('mask_tone');
  if (a.triggerCode !== b.triggerCode) out.push('trigger');
  if (a.secureIdleS !== b.secureIdleS) out.push('secure_idle');
  a.spans.forEach((s, i) => {
    if (JSON.stringify(s) !== JSON.stringify(b.spans[i])) out.push(`span${i + 1}`);
  });
  if (JSON.stringify(a.sip) !== JSON.stringify(b.sip)) out.push('sip');
  return out;
}
