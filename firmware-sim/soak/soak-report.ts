/**
 * The soak's figures and its verdict: what was sent and what the boards really executed, the
 * recoveries seen in the daemons' logs, masked digits and leaks, daemon memory and descriptors at
 * start and end, and the bad inputs per parser. The targets are listed in `targets`; the soak
 * passes only when every one holds.
 */
import type { DeviceServerStats } from '../server/device-server.ts';
import type { LogEvent, ProcessFigures } from './appliance-under-soak.ts';
import type { ParserTally } from './parser-fuzz.ts';

/** Growth allowed between the start and the end of a soak: a few descriptors (sockets in flight), and RSS noise of the V8 heap and tsx. */
export const MAX_FD_GROWTH = 8;
export const MAX_RSS_GROWTH_KB = 64 * 1024;

export interface CommandTally {
  sent: number;
  ok: number;
  failed: number;
  /** The CLI process never answered (killed after its time limit): neither done nor reported. */
  noAnswer: number;
  /** Failures by DG code (or exit status). */
  codes: Record<string, number>;
  /** What the first few failures without a DG code printed. */
  unexplained?: string[];
}

export interface JudgeInput {
  minutes: number;
  seed: number;
  corrupt: number;
  elapsedS: number;
  startedAt: number;
  commands: Record<string, CommandTally>;
  payments: { done: number; skipped: number; digitsKeyed: number; secureOffFailed: number };
  faults: Record<string, number>;
  alarmsInjected: Array<{ fault: string; span: number; at: number }>;
  events: Record<string, LogEvent[]>;
  board: Record<string, { start?: DeviceServerStats; end?: DeviceServerStats }>;
  figures: Record<string, { start?: ProcessFigures; end?: ProcessFigures }>;
  maskedDigits: number;
  verify: { ok: boolean; exitCode: number | null; digits: number; masks: number; leaks: number; leakAt?: Array<{ source?: string; startMs?: number; endMs?: number }> };
  parsers: Record<string, ParserTally>;
  daemonsAlive: Array<{ name: string; alive: boolean }>;
  workDir?: string;
}

export interface Target {
  name: string;
  ok: boolean;
  detail: string;
}

export interface SoakReport {
  ok: boolean;
  minutes: number;
  elapsedS: number;
  seed: number;
  corrupt: number;
  commands: { sent: number; ok: number; failed: number; noAnswer: number; lost: number; appliedTwice: number; byCommand: Record<string, CommandTally> };
  board: Record<string, { executed: Record<string, number>; repeatsAnsweredFromMemory: number; naksSent: number; reexecuted: Record<string, number> }>;
  payments: JudgeInput['payments'];
  digits: { maskedReportedByDaemon: number; foundOnMirror: number; maskTones: number; leaks: number; leakAt: Array<{ source?: string; startMs?: number; endMs?: number }> };
  faults: Record<string, number>;
  alarms: { injected: number; raised: number; cleared: number; missed: string[]; notCleared: string[] };
  recoveries: Record<string, { count: number; medianMs: number | null; maxMs: number | null }>;
  daemons: Record<string, { start?: ProcessFigures; end?: ProcessFigures; alive: boolean }>;
  parsers: Record<string, ParserTally>;
  targets: Target[];
  workDir?: string;
}

function delta(start: Record<string, number> | undefined, end: Record<string, number> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(end ?? {})) {
    const d = v - (start?.[k] ?? 0);
    if (d) out[k] = d;
  }
  return out;
}

const median = (xs: number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : Math.round((s[m - 1] + s[m]) / 2);
};

/** Link recoveries from `link.state` events: the first state other than ready after ready, to the next ready. */
export function recoveries(events: LogEvent[], after: number): number[] {
  const out: number[] = [];
  let downAt: number | null = null;
  let seenReady = false;
  for (const e of events) {
    if (e.event !== 'link.state' || typeof e.time !== 'number') continue;
    if (e.state === 'ready') {
      if (downAt !== null && downAt >= after) out.push(e.time - downAt);
      downAt = null;
      seenReady = true;
    } else if (seenReady && downAt === null) downAt = e.time;
  }
  return out;
}

export function judge(i: JudgeInput): SoakReport {
  const all = Object.values(i.commands);
  const sum = (f: (t: CommandTally) => number) => all.reduce((n, t) => n + f(t), 0);
  const targets: Target[] = [];
  const board: SoakReport['board'] = {};
  let lost = sum((t) => t.noAnswer);
  let twice = 0;
  const lostWhy: string[] = [];
  if (lost) lostWhy.push(`${lost} CLI call(s) never answered`);
  for (const [name, b] of Object.entries(i.board)) {
    if (!b.start || !b.end) {
      targets.push({ name: `board counts of ${name}`, ok: false, detail: 'the rig socket did not report the board execution counts' });
      continue;
    }
    const executed = delta(b.start.executed, b.end.executed);
    const reexecuted = delta(b.start.reexecuted, b.end.reexecuted);
    board[name] = { executed, reexecuted, repeatsAnsweredFromMemory: b.end.repeats - b.start.repeats, naksSent: b.end.naksSent - b.start.naksSent };
    const mine = (prefix: string) => Object.entries(i.commands).filter(([k]) => k.startsWith(`${name}: ${prefix}`)).map(([, t]) => t);
    // Non-idempotent: each request must run exactly once on the board when reported done (§2.3).
    const resets = mine('counters --reset');
    const rOk = resets.reduce((n, t) => n + t.ok, 0);
    const rSent = resets.reduce((n, t) => n + t.sent, 0);
    const rRan = executed.RESET_COUNTERS ?? 0;
    const rTwice = (reexecuted.RESET_COUNTERS ?? 0) + Math.max(0, rRan - rSent);
    if (rOk > rRan) (lost += rOk - rRan), lostWhy.push(`${name}: ${rOk - rRan} reset(s) reported done but not run`);
    if (rTwice) (twice += rTwice), void 0;
    // Idempotent: a retry may run a request again (harmless); a reported success with no execution is lost.
    const secure = mine('secure');
    const sOk = secure.reduce((n, t) => n + t.ok, 0);
    const sRan = executed.SET_SECURE ?? 0;
    if (sOk > sRan) (lost += sOk - sRan), lostWhy.push(`${name}: ${sOk - sRan} secure change(s) reported done but not run`);
    for (const [cmd, n] of Object.entries(reexecuted)) if (cmd !== 'RESET_COUNTERS') twice += n;
  }
  targets.push({ name: 'commands lost', ok: lost === 0, detail: lost ? lostWhy.join('; ') : '0' });
  targets.push({ name: 'commands applied twice', ok: twice === 0, detail: String(twice) });

  const leaks = i.verify.leaks;
  targets.push({ name: 'digit leaks on the mirror', ok: i.verify.ok && leaks === 0, detail: i.verify.ok ? `${leaks} of ${i.verify.digits} digits found were not the mask tone` : `verify could not read the capture (exit ${i.verify.exitCode})` });
  targets.push({ name: 'payments made', ok: i.payments.done > 0, detail: `${i.payments.done} (${i.payments.skipped} skipped: secure mode could not be confirmed on)` });

  const e1 = Object.entries(i.events).flatMap(([, ev]) => ev);
  const raised = e1.filter((e) => e.event === 'alarm.raised');
  const cleared = e1.filter((e) => e.event === 'alarm.cleared');
  const missed: string[] = [];
  const notCleared: string[] = [];
  for (const a of i.alarmsInjected) {
    const id = `span${a.span}.${a.fault}`;
    const r = raised.find((e) => e.alarm === id && typeof e.time === 'number' && e.time >= a.at - 1000);
    if (!r) missed.push(id);
    else if (!cleared.some((e) => e.alarm === id && (e.time as number) >= (r.time as number))) notCleared.push(id);
  }
  targets.push({ name: 'every line alarm raised and cleared', ok: i.alarmsInjected.length > 0 && !missed.length && !notCleared.length, detail: `${i.alarmsInjected.length} injected; missed ${missed.length}, not cleared ${notCleared.length}` });

  const recov: SoakReport['recoveries'] = {};
  for (const [name, ev] of Object.entries(i.events)) {
    const r = recoveries(ev, i.startedAt);
    recov[name] = { count: r.length, medianMs: median(r), maxMs: r.length ? Math.max(...r) : null };
  }
  const daemons: SoakReport['daemons'] = {};
  for (const d of i.daemonsAlive) {
    const f = i.figures[d.name] ?? {};
    daemons[d.name] = { start: f.start, end: f.end, alive: d.alive };
    const s = f.start;
    const e = f.end;
    const flat = Boolean(s && e && e.fds - s.fds <= MAX_FD_GROWTH && e.rssKb - s.rssKb <= MAX_RSS_GROWTH_KB);
    targets.push({
      name: `${d.name} daemon alive, memory and descriptors flat`,
      ok: d.alive && flat,
      detail: s && e ? `RSS ${Math.round(s.rssKb / 1024)} → ${Math.round(e.rssKb / 1024)} MB, fds ${s.fds} → ${e.fds} (bounds +${MAX_RSS_GROWTH_KB / 1024} MB, +${MAX_FD_GROWTH})${d.alive ? '' : ', daemon DIED'}` : 'no /proc figures',
    });
  }
  const crashes = Object.values(i.parsers).reduce((n, t) => n + t.crashes, 0);
  const tried = Object.values(i.parsers).reduce((n, t) => n + t.tried, 0);
  targets.push({ name: 'parser crashes', ok: crashes === 0 && tried > 0, detail: `${crashes} in ${tried} bad inputs` });

  return {
    ok: targets.every((t) => t.ok),
    minutes: i.minutes,
    elapsedS: i.elapsedS,
    seed: i.seed,
    corrupt: i.corrupt,
    commands: { sent: sum((t) => t.sent), ok: sum((t) => t.ok), failed: sum((t) => t.failed), noAnswer: sum((t) => t.noAnswer), lost, appliedTwice: twice, byCommand: i.commands },
    board,
    payments: i.payments,
    digits: { maskedReportedByDaemon: i.maskedDigits, foundOnMirror: i.verify.digits, maskTones: i.verify.masks, leaks, leakAt: i.verify.leakAt ?? [] },
    faults: i.faults,
    alarms: { injected: i.alarmsInjected.length, raised: raised.length, cleared: cleared.length, missed, notCleared },
    recoveries: recov,
    daemons,
    parsers: i.parsers,
    targets,
    ...(i.workDir ? { workDir: i.workDir } : {}),
  };
}

export function formatSoakText(r: SoakReport): string {
  const L: string[] = [];
  L.push(`soak: ${r.minutes} min under load (${r.elapsedS} s in all), seed ${r.seed}, serial corruption ${r.corrupt} per byte`);
  L.push(`commands: ${r.commands.sent} sent, ${r.commands.ok} ok, ${r.commands.failed} failed (reported), ${r.commands.noAnswer} unanswered; lost ${r.commands.lost}, applied twice ${r.commands.appliedTwice}`);
  for (const [k, t] of Object.entries(r.commands.byCommand).sort()) {
    const codes = Object.entries(t.codes).map(([c, n]) => `${c}×${n}`).join(' ');
    L.push(`  ${k.padEnd(36)} ${String(t.sent).padStart(5)} sent ${String(t.ok).padStart(5)} ok ${String(t.failed).padStart(4)} failed${codes ? ` (${codes})` : ''}`);
    for (const u of t.unexplained ?? []) L.push(`      without a DG code: ${u}`);
  }
  for (const [name, b] of Object.entries(r.board)) {
    L.push(`board ${name}: executed ${Object.entries(b.executed).map(([c, n]) => `${c} ${n}`).join(', ')}; ${b.repeatsAnsweredFromMemory} repeats answered from memory, ${b.naksSent} NAKs`);
  }
  L.push(`payments: ${r.payments.done} made, ${r.payments.skipped} skipped, ${r.payments.digitsKeyed} digits keyed; daemon counted ${r.digits.maskedReportedByDaemon} masked; mirror: ${r.digits.foundOnMirror} digits, ${r.digits.maskTones} mask tones, ${r.digits.leaks} leaks`);
  for (const l of r.digits.leakAt) L.push(`  leak (value withheld): ${l.source ?? '?'} at ${l.startMs ?? '?'}–${l.endMs ?? '?'} ms of its stream`);
  L.push(`faults: ${Object.entries(r.faults).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
  L.push(`alarms: ${r.alarms.injected} injected, ${r.alarms.raised} raised and ${r.alarms.cleared} cleared in the daemons' logs${r.alarms.missed.length ? `; missed ${r.alarms.missed.join(' ')}` : ''}${r.alarms.notCleared.length ? `; not cleared ${r.alarms.notCleared.join(' ')}` : ''}`);
  for (const [name, x] of Object.entries(r.recoveries)) L.push(`recoveries ${name}: ${x.count}, median ${x.medianMs ?? '-'} ms, max ${x.maxMs ?? '-'} ms`);
  for (const [name, d] of Object.entries(r.daemons)) {
    const f = (p?: ProcessFigures) => (p ? `RSS ${Math.round(p.rssKb / 1024)} MB, ${p.fds} fds${p.heapBytes ? `, heap ${Math.round(p.heapBytes / 1048576)} MB` : ''}` : '-');
    L.push(`daemon ${name}: start ${f(d.start)}; end ${f(d.end)}${d.alive ? '' : '; DIED'}`);
  }
  L.push('bad inputs per parser:');
  for (const [name, t] of Object.entries(r.parsers)) {
    L.push(`  ${name.padEnd(40)} ${String(t.tried).padStart(7)} tried ${String(t.rejected).padStart(7)} rejected ${String(t.crashes).padStart(3)} crashes`);
    for (const ex of t.examples) L.push(`      ${ex}`);
  }
  L.push('targets:');
  for (const t of r.targets) L.push(`  ${t.ok ? 'ok  ' : 'FAIL'} ${t.name}: ${t.detail}`);
  L.push(r.ok ? 'soak passed' : 'soak FAILED');
  if (r.workDir) L.push(`work folder kept: ${r.workDir}`);
  return L.join('\n');
}
