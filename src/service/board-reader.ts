/**
 * Reads the board into a snapshot: identity, health, every span's status and counters, secure
 * channels, link statistics. The daemon's poll and the one-shot `dtmfguard check` share it.
 */
import type { ApplianceClient } from '../appliance/client.ts';
import type { BoardSnapshot, ChannelActivity } from './board-snapshot.ts';

export function channelOf(snapshot: BoardSnapshot, ch: number): ChannelActivity {
  let a = snapshot.channels.get(ch);
  if (!a) snapshot.channels.set(ch, (a = { secure: false, secureSessions: 0, maskedDigits: 0 }));
  return a;
}

export function applyIdentity(snapshot: BoardSnapshot, client: ApplianceClient): void {
  const h = client.hello;
  snapshot.identity = { model: h.model, serial: h.serial, firmware: h.fw, slot: h.slot, hardware: h.hw, protocol: h.proto, channels: h.channels, spans: h.spans, bootId: h.boot_id };
  snapshot.configVersion = client.state.cfg.version;
  applySecureChannels(snapshot, client.state.secureOn);
}

export function applySecureChannels(snapshot: BoardSnapshot, on: number[]): void {
  const set = new Set(on);
  for (const [ch, a] of snapshot.channels) a.secure = set.has(ch);
  for (const ch of set) channelOf(snapshot, ch).secure = true;
}

export function applyHealth(snapshot: BoardSnapshot, d: Record<string, unknown>): void {
  snapshot.health = {
    tempC: Number(d.temp_c),
    vMainMv: Number(d.v_main_mv),
    v3v3Mv: Number(d.v_3v3_mv),
    vCoreMv: Number(d.v_core_mv),
    dspLoadPct: Number(d.dsp_load_pct),
    uptimeS: Number(d.uptime_s),
    bypass: Boolean(d.bypass),
  };
}

export function applyLinkStats(snapshot: BoardSnapshot, client: ApplianceClient): void {
  const s = client.stats();
  Object.assign(snapshot.link, {
    framesIn: s.framesIn, framesOut: s.framesOut, crcErrors: s.crcErrors, naksSent: s.naksSent, naksReceived: s.naksReceived,
    timeouts: s.timeouts, retries: s.retries, discardedBytes: s.discardedBytes, reconnects: s.reconnects, rttMs: s.rtt.lastMs,
  });
}

/** One full read of the board's state into `snapshot` (which keeps the per-span counting epochs). */
export async function readBoard(client: ApplianceClient, snapshot: BoardSnapshot): Promise<void> {
  applyIdentity(snapshot, client);
  applyHealth(snapshot, (await client.getHealth()) as unknown as Record<string, unknown>);
  const spans = [];
  for (let span = 1; span <= client.hello.spans; span++) {
    const s = await client.getSpanStatus(span);
    const previous = snapshot.spans.find((x) => x.span === span);
    let generation = snapshot.resetGeneration.get(span) ?? 0;
    // The board counts from its last reset: counting time going back means someone reset it.
    if (previous && s.counted_s < previous.countedS) snapshot.resetGeneration.set(span, ++generation);
    spans.push({
      span: s.span,
      type: s.type,
      up: s.state === 'up',
      alarms: { los: s.los, lof: s.lof, ais: s.ais, rai: s.rai },
      counters: { cv: s.cv, crc_err: s.crc_err, fas_err: s.fas_err, slips: s.slips, es: s.es, ses: s.ses },
      loopback: s.loopback,
      countedS: s.counted_s,
      epoch: `${client.hello.boot_id}/${generation}`,
    });
  }
  snapshot.spans = spans;
  applySecureChannels(snapshot, (await client.getSecureSummary()).on);
  snapshot.link.state = client.linkState;
  snapshot.link.up = client.linkState === 'ready';
  applyLinkStats(snapshot, client);
  snapshot.at = new Date().toISOString();
}
