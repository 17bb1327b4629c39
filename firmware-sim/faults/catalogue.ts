/**
 * The faults a simulated appliance can be given, by name: what each acts on, what it applies to
 * (a span, a channel, or the whole board or line) and which values it takes. One table, read by the
 * registry, the rig socket, the `fault` command and `--fault`, and documented in docs/faults.md.
 */
import { DgError } from '../../src/errors.ts';

export type FaultArea = 'serial' | 'board' | 'line';
export type FaultScope = 'span' | 'channel' | 'none';

export interface FaultSpec {
  area: FaultArea;
  /** `span`: per E1/T1 span (all spans when none is given); `channel`: one channel, required. */
  scope: FaultScope;
  /** Value syntax shown in help and errors. */
  values: string;
  /** Turns a user's value into the normalised one ('on'/'off', or a number as text). */
  parse(value: string): string;
  /** One line for `list` and docs. */
  what: string;
}

const ON = ['on', 'true', '1', 'yes'];
const OFF = ['off', 'false', '0', 'no'];

function bad(name: string, value: string, expected: string): DgError {
  return new DgError('DG5902', `fault ${name}: bad value ${JSON.stringify(value)}; use ${expected}`);
}

function onOff(name: string) {
  return (v: string): string => {
    const s = v.trim().toLowerCase();
    if (ON.includes(s)) return 'on';
    if (OFF.includes(s)) return 'off';
    throw bad(name, v, 'on or off');
  };
}

/** A number in [min, max]; `off` is `offValue` (0 for rates) and `on` the given default. */
function numeric(name: string, min: number, max: number, onValue: number, unit: string, offValue = '0') {
  return (v: string): string => {
    const s = v.trim().toLowerCase();
    if (OFF.includes(s) && s !== '0') return offValue;
    if (s === 'on') return String(onValue);
    const n = s === '' ? NaN : Number(s);
    if (!Number.isFinite(n) || n < min || n > max) throw bad(name, v, `a number from ${min} to ${max}${unit}, on (${onValue}) or off`);
    return String(n);
  };
}

/** Overheating: the temperature the board reports with `overheat on`, above a 70 °C rating. */
export const OVERHEAT_ON_C = 85;
/** Supply faults move the main rail by this fraction: beyond the ±10 % a 12 V input usually tolerates. */
export const VOLTAGE_STEP = 0.15;

export const FAULTS = {
  corrupt: { area: 'serial', scope: 'none', values: 'RATE 0..1 | on | off', parse: numeric('corrupt', 0, 1, 0.01, ' (probability per byte)'), what: 'each byte on the control line has one bit flipped with this probability, both directions' },
  drop: { area: 'serial', scope: 'none', values: 'RATE 0..1 | on | off', parse: numeric('drop', 0, 1, 0.01, ' (probability per byte)'), what: 'each byte on the control line is lost with this probability, both directions' },
  latency: { area: 'serial', scope: 'none', values: 'MS 0..60000 | on | off', parse: numeric('latency', 0, 60_000, 200, ' ms'), what: 'bytes are delayed this many ms in each direction (order kept)' },
  silence: { area: 'serial', scope: 'none', values: 'on | off', parse: onOff('silence'), what: 'the control line carries nothing either way (cable pulled)' },
  reset: { area: 'serial', scope: 'none', values: 'on | off', parse: onOff('reset'), what: 'armed: the board resets in the middle of the next request it receives, then announces BOOT reason=power' },
  'dsp-stall': { area: 'board', scope: 'channel', values: 'on | off (with --channel N)', parse: onOff('dsp-stall'), what: 'the DSP stops processing a channel: EVT DSP state=stalled' },
  overheat: { area: 'board', scope: 'none', values: `°C -40..150 | on (${OVERHEAT_ON_C}) | off`, parse: numeric('overheat', -40, 150, OVERHEAT_ON_C, ' °C', 'off'), what: 'the board reports this temperature (GET_HEALTH, EVT HEALTH)' },
  voltage: {
    area: 'board',
    scope: 'none',
    values: 'low | high | on (low) | off | MV (main rail)',
    parse: (v: string) => {
      const s = v.trim().toLowerCase();
      if (s === 'low' || s === 'on') return 'low';
      if (s === 'high') return 'high';
      if (OFF.includes(s)) return 'off';
      const n = Number(s);
      if (s !== '' && Number.isInteger(n) && n >= 0 && n <= 100_000) return String(n);
      throw bad('voltage', v, 'low, high, on, off or the main rail in mV (0..100000)');
    },
    what: `the main supply rail reads ${VOLTAGE_STEP * 100} % low or high (or the given mV)`,
  },
  bypass: { area: 'board', scope: 'none', values: 'on | off', parse: onOff('bypass'), what: 'the bypass relay is engaged: calls pass UNMASKED; bypass=on and an immediate EVT HEALTH' },
  reboot: { area: 'board', scope: 'none', values: 'on', parse: onOff('reboot'), what: 'the board restarts by itself (silent, then EVT BOOT reason=watchdog)' },
  los: { area: 'line', scope: 'span', values: 'on | off', parse: onOff('los'), what: 'no signal on the span (red alarm LOS after 2.5 s, cleared 10 s after)' },
  lof: { area: 'line', scope: 'span', values: 'on | off', parse: onOff('lof'), what: "the far end's framing pattern is corrupted (red alarm LOF)" },
  ais: { area: 'line', scope: 'span', values: 'on | off', parse: onOff('ais'), what: 'unframed all ones from upstream (blue alarm AIS)' },
  rai: { area: 'line', scope: 'span', values: 'on | off', parse: onOff('rai'), what: 'the far end sends a remote alarm (yellow alarm RAI)' },
  ber: { area: 'line', scope: 'span', values: 'RATIO 0..0.5 | on (1e-6) | off', parse: numeric('ber', 0, 0.5, 1e-6, ''), what: 'random bit errors on the span: CV, CRC and FAS errors, ES/SES' },
  slip: { area: 'line', scope: 'span', values: 'PER-SECOND 0..1000 | on (1) | off', parse: numeric('slip', 0, 1000, 1, ' slips/s'), what: 'controlled slips in the receive elastic store (clock offset)' },
} as const satisfies Record<string, FaultSpec>;

export type FaultName = keyof typeof FAULTS;
export const FAULT_NAMES = Object.keys(FAULTS) as FaultName[];

export function isFaultName(name: string): name is FaultName {
  return Object.prototype.hasOwnProperty.call(FAULTS, name);
}

export function faultSpec(name: string): FaultSpec {
  if (!isFaultName(name)) throw new DgError('DG5901', `unknown fault ${JSON.stringify(name)}; use one of ${FAULT_NAMES.join(', ')}`);
  return FAULTS[name];
}
