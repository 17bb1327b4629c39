/**
 * One end of a span: a transmitter (framer), a receiver (deframer and defect detectors), the
 * alarm integrators, performance monitoring and the per-timeslot codeword queues toward the
 * equipment behind it. The span model has two: the appliance ("near end") and the network or PBX
 * across the line ("far end"), so loopbacks and RAI can be observed from the far side.
 */
import { AlarmState, type AlarmEvent, type AlarmName, type AlarmTiming } from './alarms.ts';
import { E1Receiver, E1Transmitter } from './e1.ts';
import { CodewordFifo } from './fifo.ts';
import { frameFormat, type E1Signalling, type FrameFormat, type SpanKind, type T1Framing } from './format.ts';
import { PerformanceMonitor } from './performance.ts';
import { emptySecond, type LineTick } from './receiver.ts';
import { T1Receiver, T1Transmitter } from './t1.ts';

export interface TerminalOptions {
  kind: SpanKind;
  framing?: T1Framing;
  signalling?: E1Signalling;
  startMs: number;
  alarmTiming?: Partial<Record<AlarmName, Partial<AlarmTiming>>>;
  sesThreshold?: number;
  /** Codewords each timeslot queue holds (8000 = one second of audio). */
  fifoCapacity: number;
}

export class Terminal {
  readonly format: FrameFormat;
  readonly tx: E1Transmitter | T1Transmitter;
  readonly rx: E1Receiver | T1Receiver;
  readonly alarms: AlarmState;
  readonly pm: PerformanceMonitor;
  /** Controlled slips per second imposed on the receive direction (a clock offset between the ends). */
  slipsPerSecond = 0;
  /** RAI forced on the transmitter (fault injection at the far end). */
  forceRai = false;
  private slipAcc = 0;
  private slipRepeat = true;
  private readonly txFifos = new Map<number, CodewordFifo>();
  private readonly rxFifos = new Map<number, CodewordFifo>();
  private readonly fifoCapacity: number;

  constructor(opts: TerminalOptions) {
    this.format = frameFormat(opts.kind, opts.framing);
    if (opts.kind === 'e1') {
      this.tx = new E1Transmitter(opts.signalling);
      this.rx = new E1Receiver(opts.signalling);
    } else {
      this.tx = new T1Transmitter(this.format.framing as T1Framing);
      this.rx = new T1Receiver(this.format.framing as T1Framing);
    }
    this.alarms = new AlarmState(opts.alarmTiming);
    this.pm = new PerformanceMonitor(this.format.framing, opts.startMs, opts.sesThreshold);
    this.fifoCapacity = opts.fifoCapacity;
  }

  openChannel(ts: number): void {
    if (!this.txFifos.has(ts)) this.txFifos.set(ts, new CodewordFifo(this.fifoCapacity));
    if (!this.rxFifos.has(ts)) this.rxFifos.set(ts, new CodewordFifo(this.fifoCapacity));
  }

  closeChannel(ts: number): void {
    this.txFifos.delete(ts);
    this.rxFifos.delete(ts);
  }

  isOpen(ts: number): boolean {
    return this.txFifos.has(ts);
  }

  get openChannels(): number {
    return this.txFifos.size;
  }

  txFifo(ts: number): CodewordFifo | undefined {
    return this.txFifos.get(ts);
  }

  rxFifo(ts: number): CodewordFifo | undefined {
    return this.rxFifos.get(ts);
  }

  /** What this end signals as RAI: the consequent action of its own receive defects or failures. */
  private raiToSend(): boolean {
    if (this.forceRai) return true;
    // E1, G.704 §2.3.2 / G.732 §4.2: A = 1 while LOS, LOF or AIS is detected (defects).
    if (this.format.kind === 'e1') return this.rx.los || this.rx.oof || this.rx.ais;
    // T1, T1.403: yellow is sent while the terminal is in red or blue alarm (failures).
    return this.alarms.red.active || this.alarms.blue.active;
  }

  /**
   * Builds this end's transmit frames for one tick: bearers from the host queues (or, in payload
   * loopback, every timeslot of the frames last received), then framing regenerated.
   */
  buildTx(looped: Uint8Array | null): Uint8Array {
    const fmt = this.format;
    const fr = this.tx.frames;
    const rai = this.raiToSend();
    if (looped) {
      fr.set(looped);
    } else {
      fr.fill(fmt.idle);
      if (this.txFifos.size) {
        for (const [ts, fifo] of this.txFifos) {
          for (let f = 0, at = ts; f < fmt.framesPerTick; f++, at += fmt.frameBytes) {
            const v = fifo.shift();
            if (v < 0) break;
            fr[at] = v;
          }
        }
      }
    }
    if (this.tx instanceof E1Transmitter) this.tx.build(rai, looped !== null);
    else this.tx.build(rai);
    return fr;
  }

  /** Receives one tick of line signal; returns the alarm changes it caused. */
  receive(line: LineTick, dtMs: number, nowMs: number): AlarmEvent[] {
    const rx = this.rx;
    rx.process(line);
    if (this.tx instanceof E1Transmitter) this.tx.reportBlocks(rx.blockErrors);
    let slips = 0;
    if (this.slipsPerSecond > 0) {
      this.slipAcc += (this.slipsPerSecond * dtMs) / 1000;
      slips = Math.floor(this.slipAcc);
      this.slipAcc -= slips;
      rx.counts.slips += slips;
    }
    if (this.rxFifos.size) this.deliver(slips);
    return this.alarms.update(rx, dtMs, nowMs);
  }

  /**
   * Hands the received bearers to the host queues. A controlled slip (G.822) repeats or deletes one
   * whole frame in the receive elastic store; they alternate, as they do when two clocks wander
   * around each other, so the audio neither drifts nor loses its frame alignment.
   */
  private deliver(slips: number): void {
    const fmt = this.format;
    const p = this.rx.payload;
    for (const [ts, fifo] of this.rxFifos) {
      let from = 0;
      if (slips > 0) {
        if (this.slipRepeat) fifo.push(p[ts]);
        else from = 1;
      }
      for (let f = from, at = ts + from * fmt.frameBytes; f < fmt.framesPerTick; f++, at += fmt.frameBytes) fifo.push(p[at]);
    }
    if (slips > 0) this.slipRepeat = !this.slipRepeat;
  }

  /** Closes the second that began at `startMs` into performance monitoring. */
  endSecond(startMs: number): void {
    this.pm.addSecond(startMs, this.rx.counts);
    this.rx.counts = emptySecond();
  }

  /** True when this end is idle and error-free, so whole seconds can be skipped (see Span.step). */
  get steady(): boolean {
    const rx = this.rx;
    return (
      this.txFifos.size === 0 && this.rxFifos.size === 0 && this.slipsPerSecond === 0 && !this.forceRai &&
      !rx.los && !rx.oof && !rx.ais && !rx.rai && this.alarms.quiet && rx.steady &&
      (!(this.tx instanceof E1Transmitter) || this.tx.steady)
    );
  }
}
