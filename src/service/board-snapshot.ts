/**
 * What the daemon knows of the board at one moment, in host terms (decoded from the protocol's
 * GET_* answers and events). Metrics, /healthz, alarms and the Nagios check all read this one shape.
 * It never holds a keyed digit: masked digits are counts per channel.
 */

export type AlarmName = 'los' | 'lof' | 'ais' | 'rai';
export const ALARM_NAMES: readonly AlarmName[] = ['los', 'lof', 'ais', 'rai'];

export interface SpanCounters {
  cv: number;
  crc_err: number;
  fas_err: number;
  slips: number;
  es: number;
  ses: number;
}

export interface SpanSnapshot {
  span: number;
  type: 'e1' | 't1';
  up: boolean;
  alarms: Record<AlarmName, boolean>;
  counters: SpanCounters;
  loopback: string;
  /** Seconds the board has been counting since its last counter reset. */
  countedS: number;
  /**
   * The counting run these counters belong to: the board's boot id and a reset generation that
   * moves on whenever the counters restart (a reset by anyone shows as `countedS` going back).
   */
  epoch: string;
}

export interface HealthSnapshot {
  tempC: number;
  vMainMv: number;
  v3v3Mv: number;
  vCoreMv: number;
  dspLoadPct: number;
  uptimeS: number;
  bypass: boolean;
}

export interface IdentitySnapshot {
  model: string;
  serial: string;
  firmware: string;
  slot: string;
  hardware: string;
  protocol: number;
  channels: number;
  spans: number;
  bootId: string;
}

export interface LinkSnapshot {
  state: string;
  up: boolean;
  framesIn: number;
  framesOut: number;
  crcErrors: number;
  naksSent: number;
  naksReceived: number;
  timeouts: number;
  retries: number;
  discardedBytes: number;
  reconnects: number;
  rttMs?: number;
}

export interface ChannelActivity {
  /** Secure sessions started on the channel since the daemon started. */
  secureSessions: number;
  /** Digits the board masked on the channel (a count, never a value). */
  maskedDigits: number;
  secure: boolean;
  /** The DSP stopped processing this channel (a board fault). */
  dspStalled?: boolean;
}

export interface BoardSnapshot {
  at: string;
  link: LinkSnapshot;
  identity?: IdentitySnapshot;
  health?: HealthSnapshot;
  spans: SpanSnapshot[];
  channels: Map<number, ChannelActivity>;
  configVersion?: number;
  /** Counter-reset generation per span: moves on at every reset, so a reset starts a new epoch. */
  resetGeneration: Map<number, number>;
  /** Since when each current problem has held, keyed by a stable id such as `span1.los`. */
  problemsSince: Map<string, string>;
}

export function emptySnapshot(): BoardSnapshot {
  return {
    at: new Date(0).toISOString(),
    link: { state: 'idle', up: false, framesIn: 0, framesOut: 0, crcErrors: 0, naksSent: 0, naksReceived: 0, timeouts: 0, retries: 0, discardedBytes: 0, reconnects: 0 },
    spans: [],
    channels: new Map(),
    resetGeneration: new Map(),
    problemsSince: new Map(),
  };
}
