/**
 * Prometheus metrics of one appliance (prom-client, text exposition). Names follow the Prometheus
 * conventions: `dtmfguard_` prefix, base units (seconds, volts, celsius, ratios), `_total` counters,
 * `_info` gauges for identity. No label ever carries call or card data: channels and spans are
 * numbers, digits are counts.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { version } from '../version.ts';
import { ALARM_NAMES, type BoardSnapshot, type SpanCounters } from './board-snapshot.ts';
import { MonotonicCounter } from './monotonic-counter.ts';

const SPAN_COUNTERS: Array<[keyof SpanCounters, string, string]> = [
  ['cv', 'dtmfguard_span_code_violations_total', 'Line code violations (bipolar violations, excess zeros) on the span.'],
  ['crc_err', 'dtmfguard_span_crc_errors_total', 'CRC-4 (E1) or CRC-6 (T1 ESF) block errors on the span.'],
  ['fas_err', 'dtmfguard_span_fas_errors_total', 'Frame alignment signal errors on the span.'],
  ['slips', 'dtmfguard_span_slips_total', 'Controlled frame slips on the span.'],
  ['es', 'dtmfguard_span_errored_seconds_total', 'Errored seconds (ITU-T G.826 / ANSI T1.231).'],
  ['ses', 'dtmfguard_span_severely_errored_seconds_total', 'Severely errored seconds (ITU-T G.826 / ANSI T1.231).'],
];

export class ApplianceMetrics {
  readonly registry = new Registry();
  private readonly spanTotals = new Map<string, MonotonicCounter>();

  constructor(private readonly snapshot: () => BoardSnapshot) {
    const r = [this.registry];
    const snap = () => this.snapshot();

    new Gauge({
      name: 'dtmfguard_build_info', help: 'Version of the dtmfguard host software.', labelNames: ['version', 'node'], registers: r,
      collect() { this.reset(); this.set({ version, node: process.version }, 1); },
    });
    new Gauge({
      name: 'dtmfguard_device_info', help: 'Identity of the appliance from its hello.', labelNames: ['model', 'serial', 'firmware', 'slot', 'hardware', 'protocol'], registers: r,
      collect() {
        this.reset();
        const id = snap().identity;
        if (id) this.set({ model: id.model, serial: id.serial, firmware: id.firmware, slot: id.slot, hardware: id.hardware, protocol: String(id.protocol) }, 1);
      },
    });

    // Link.
    new Gauge({ name: 'dtmfguard_link_up', help: '1 when the control link to the appliance is up and answering.', registers: r, collect() { this.set(snap().link.up ? 1 : 0); } });
    new Gauge({
      name: 'dtmfguard_link_state', help: 'State of the control link driver (1 for the current state).', labelNames: ['state'], registers: r,
      collect() {
        this.reset();
        for (const s of ['idle', 'connecting', 'ready', 'recovering', 'failed', 'closed']) this.set({ state: s }, snap().link.state === s ? 1 : 0);
      },
    });
    const linkCounter = (name: string, help: string, pick: (s: BoardSnapshot) => number) =>
      new Counter({ name, help, registers: r, collect() { this.reset(); this.inc(pick(snap())); } });
    linkCounter('dtmfguard_link_frames_received_total', 'Frames received from the appliance.', (s) => s.link.framesIn);
    linkCounter('dtmfguard_link_frames_sent_total', 'Frames sent to the appliance.', (s) => s.link.framesOut);
    linkCounter('dtmfguard_link_crc_errors_total', 'Received frames dropped for a bad CRC.', (s) => s.link.crcErrors);
    linkCounter('dtmfguard_link_naks_sent_total', 'Negative acknowledgements sent to the appliance.', (s) => s.link.naksSent);
    linkCounter('dtmfguard_link_naks_received_total', 'Negative acknowledgements received from the appliance.', (s) => s.link.naksReceived);
    linkCounter('dtmfguard_link_timeouts_total', 'Commands that got no answer in time.', (s) => s.link.timeouts);
    linkCounter('dtmfguard_link_retries_total', 'Commands sent again after a timeout or NAK.', (s) => s.link.retries);
    linkCounter('dtmfguard_link_discarded_bytes_total', 'Received bytes that were not part of a valid frame.', (s) => s.link.discardedBytes);
    linkCounter('dtmfguard_link_reconnects_total', 'Times the link was reopened.', (s) => s.link.reconnects);
    new Gauge({
      name: 'dtmfguard_link_round_trip_seconds', help: 'Round-trip time of the last answered command.', registers: r,
      collect() { const rtt = snap().link.rttMs; this.reset(); if (rtt !== undefined) this.set(rtt / 1000); },
    });

    // Spans.
    new Gauge({
      name: 'dtmfguard_span_alarm', help: 'Span alarm state, 1 when raised: los (red, loss of signal), lof (red, loss of frame), ais (blue), rai (yellow).', labelNames: ['span', 'alarm'], registers: r,
      collect() {
        this.reset();
        for (const s of snap().spans) for (const a of ALARM_NAMES) this.set({ span: String(s.span), alarm: a }, s.alarms[a] ? 1 : 0);
      },
    });
    new Gauge({
      name: 'dtmfguard_span_up', help: '1 when the span is framed and carrying traffic.', labelNames: ['span', 'type'], registers: r,
      collect() { this.reset(); for (const s of snap().spans) this.set({ span: String(s.span), type: s.type }, s.up ? 1 : 0); },
    });
    new Gauge({
      name: 'dtmfguard_span_loopback', help: 'Loopback in force on the span (1 for the current mode).', labelNames: ['span', 'mode'], registers: r,
      collect() {
        this.reset();
        for (const s of snap().spans) for (const m of ['off', 'local', 'line', 'payload']) this.set({ span: String(s.span), mode: m }, s.loopback === m ? 1 : 0);
      },
    });
    const totals = this.spanTotals;
    for (const [key, name, help] of SPAN_COUNTERS) {
      new Counter({
        name, help, labelNames: ['span'], registers: r,
        collect() {
          this.reset();
          for (const span of snap().spans) {
            const id = `${span.span}.${key}`;
            let acc = totals.get(id);
            if (!acc) totals.set(id, (acc = new MonotonicCounter()));
            acc.observe(span.counters[key], span.epoch);
            this.inc({ span: String(span.span) }, acc.value);
          }
        },
      });
    }

    // Board health.
    const healthGauge = (name: string, help: string, pick: (h: NonNullable<BoardSnapshot['health']>) => number) =>
      new Gauge({ name, help, registers: r, collect() { const h = snap().health; this.reset(); if (h) this.set(pick(h)); } });
    healthGauge('dtmfguard_board_temperature_celsius', 'Board temperature.', (h) => h.tempC);
    healthGauge('dtmfguard_dsp_load_ratio', 'DSP load, 0 to 1.', (h) => h.dspLoadPct / 100);
    healthGauge('dtmfguard_board_uptime_seconds', 'Seconds since the board booted.', (h) => h.uptimeS);
    healthGauge('dtmfguard_bypass_engaged', '1 when the bypass relay is engaged: calls pass UNMASKED.', (h) => (h.bypass ? 1 : 0));
    new Gauge({
      name: 'dtmfguard_board_supply_volts', help: 'Board supply voltages.', labelNames: ['rail'], registers: r,
      collect() {
        this.reset();
        const h = snap().health;
        if (!h) return;
        this.set({ rail: 'main' }, h.vMainMv / 1000);
        this.set({ rail: '3v3' }, h.v3v3Mv / 1000);
        this.set({ rail: 'core' }, h.vCoreMv / 1000);
      },
    });

    // Channels: counts only.
    new Gauge({
      name: 'dtmfguard_secure_channels', help: 'Channels in secure mode now.', registers: r,
      collect() { this.set([...snap().channels.values()].filter((c) => c.secure).length); },
    });
    new Counter({
      name: 'dtmfguard_secure_sessions_total', help: 'Secure-mode sessions started, per channel.', labelNames: ['channel'], registers: r,
      collect() { this.reset(); for (const [ch, a] of snap().channels) if (a.secureSessions) this.inc({ channel: String(ch) }, a.secureSessions); },
    });
    new Counter({
      name: 'dtmfguard_masked_digits_total', help: 'Digits masked by the board, per channel (never the digit values).', labelNames: ['channel'], registers: r,
      collect() { this.reset(); for (const [ch, a] of snap().channels) if (a.maskedDigits) this.inc({ channel: String(ch) }, a.maskedDigits); },
    });
    new Gauge({
      name: 'dtmfguard_dsp_stalled_channels', help: 'Channels whose DSP processing has stalled.', registers: r,
      collect() { this.set([...snap().channels.values()].filter((c) => c.dspStalled).length); },
    });
    new Gauge({
      name: 'dtmfguard_config_version', help: 'Running configuration version on the board.', registers: r,
      collect() { const v = snap().configVersion; this.reset(); if (v !== undefined) this.set(v); },
    });
  }
}
