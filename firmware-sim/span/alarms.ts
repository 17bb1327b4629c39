/**
 * Defects become alarms (failures) only after they persist: a burst of errors that drops frame
 * alignment for a few milliseconds must not page the NOC.
 *
 *   red    (LOS or LOF failure): defect dLOS, or dOOF while no AIS is received
 *   blue   (AIS failure):        defect dAIS while there is a signal
 *   yellow (RAI failure):        defect dRAI (far end reports it has lost our signal)
 *
 * Default persistence, for all three, E1 and T1 alike: declared after the defect has been present
 * continuously for 2.5 s, cleared after it has been absent continuously for 10 s. These are
 * ANSI T1.231's figures for LOS/LOF (red) and AIS (blue) failures (2.5 ± 0.5 s, 10 ± 0.5 s) and
 * ITU-T G.806's fault-cause persistency (2.5 ± 0.5 s to declare, 10 ± 0.5 s to clear), which
 * E1 equipment applies to LOS, LOF, AIS and RAI alike. They can be changed per span (options).
 */
export type AlarmName = 'red' | 'blue' | 'yellow';
export const ALARM_NAMES: readonly AlarmName[] = ['red', 'blue', 'yellow'];

export interface AlarmTiming {
  /** Continuous defect time before the alarm is declared, in ms. */
  declareMs: number;
  /** Continuous defect-free time before the alarm is cleared, in ms. */
  clearMs: number;
}

export const DEFAULT_ALARM_TIMING: Readonly<Record<AlarmName, AlarmTiming>> = Object.freeze({
  red: { declareMs: 2500, clearMs: 10_000 },
  blue: { declareMs: 2500, clearMs: 10_000 },
  yellow: { declareMs: 2500, clearMs: 10_000 },
});

export interface AlarmEvent {
  alarm: AlarmName;
  active: boolean;
  /** Span time (ms) at which the alarm changed. */
  atMs: number;
}

/** One defect → failure integrator. */
export class Persistence {
  active = false;
  private present = 0;
  private absent = 0;

  constructor(readonly timing: AlarmTiming) {}

  /** Advances by `dtMs` with the defect present or not; returns true when the alarm changed. */
  update(defect: boolean, dtMs: number): boolean {
    if (defect) {
      this.absent = 0;
      this.present += dtMs;
      if (!this.active && this.present >= this.timing.declareMs) {
        this.active = true;
        return true;
      }
    } else {
      this.present = 0;
      this.absent += dtMs;
      if (this.active && this.absent >= this.timing.clearMs) {
        this.active = false;
        return true;
      }
    }
    return false;
  }

  /** True when nothing is pending: no alarm and no defect being timed. */
  get quiet(): boolean {
    return !this.active && this.present === 0;
  }

  reset(): void {
    this.active = false;
    this.present = this.absent = 0;
  }
}

export interface Defects {
  los: boolean;
  oof: boolean;
  ais: boolean;
  rai: boolean;
}

export class AlarmState {
  readonly red: Persistence;
  readonly blue: Persistence;
  readonly yellow: Persistence;

  constructor(timing: Partial<Record<AlarmName, Partial<AlarmTiming>>> = {}) {
    const t = (n: AlarmName) => ({ ...DEFAULT_ALARM_TIMING[n], ...timing[n] });
    this.red = new Persistence(t('red'));
    this.blue = new Persistence(t('blue'));
    this.yellow = new Persistence(t('yellow'));
  }

  /** Feeds one tick's defects; returns the alarms that changed at `nowMs`. */
  update(d: Defects, dtMs: number, nowMs: number): AlarmEvent[] {
    const events: AlarmEvent[] = [];
    // AIS masks LOF: an all-ones signal has no framing, and the fault is upstream (G.775, T1.231).
    if (this.red.update(d.los || (d.oof && !d.ais), dtMs)) events.push({ alarm: 'red', active: this.red.active, atMs: nowMs });
    if (this.blue.update(d.ais && !d.los, dtMs)) events.push({ alarm: 'blue', active: this.blue.active, atMs: nowMs });
    if (this.yellow.update(d.rai, dtMs)) events.push({ alarm: 'yellow', active: this.yellow.active, atMs: nowMs });
    return events;
  }

  snapshot(): Record<AlarmName, boolean> {
    return { red: this.red.active, blue: this.blue.active, yellow: this.yellow.active };
  }

  get quiet(): boolean {
    return this.red.quiet && this.blue.quiet && this.yellow.quiet;
  }
}
