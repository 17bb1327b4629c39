/**
 * The attacker's receiver as the verifier runs it: the WebAssembly port
 * (src/dsp/wasm/attacker-kernel.c, linked into the DSP kernel module) when the kernel is built and
 * the configuration is the one it was ported for, else the JS reference (attacker-detector.ts).
 * Both give the same fragments for any chunking (test/unit/verify/attacker-kernel.test.ts);
 * DTMFGUARD_DSP_KERNEL=js forces the reference, as for the rest of the DSP.
 */
import type { BlockGate } from '../dsp/detector.ts';
import { DTMF_KEYS } from '../dsp/dtmf-keys.ts';
import { type DspKernel, loadKernel } from '../dsp/wasm/kernel.ts';
import { AttackerDetector, type AttackerOptions, type Fragment } from './attacker-detector.ts';

/** What the in-band scanner needs of a fragment receiver. */
export interface FragmentReceiver {
  readonly implementation: 'kernel' | 'js';
  process(samples: Int16Array): Fragment[];
  flush(): Fragment[];
  /**
   * After `process`: which Q.24 blocks of the samples it was given (10 ms blocks on the stream's
   * grid) the receiver's screen found keyless; null when it does not tell (the JS reference).
   */
  readonly gate: BlockGate | null;
  /** Frees kernel memory now rather than at garbage collection; unusable afterwards. */
  dispose(): void;
}

interface AttackerExports {
  memory: WebAssembly.Memory;
  k_alloc(n: number): number;
  k_free(p: number): void;
  k_att_consts(): number;
  k_att_ready(): void;
  k_att_frags(): number;
  k_att_new(): number;
  k_att_run(a: number, x: number, n: number): number;
  k_att_flush(a: number): number;
  k_att_gate(): number;
  k_att_gate_flags(): number;
}

/** The kernel's MAX_GATE: flags one call can write. */
const MAX_GATE = 64;

/** Samples per kernel call at most: bounds the fragments one call can close (MAX_FRAGMENTS there). */
const PIECE = 4096;

/** What most calls return: nothing, as one shared array (frozen: a caller cannot add to it). */
const NONE: Fragment[] = Object.freeze([]) as unknown as Fragment[];

/**
 * The module-wide part: constants written once, one input area, views over the memory. It is also
 * the gate of the last `run` (attacker-kernel.c, gate_flags): the caller reads it before the next.
 */
class AttackerKernel implements BlockGate {
  readonly x: AttackerExports;
  first = 0;
  count = 0;
  flags!: Uint8Array;
  private buffer!: ArrayBuffer;
  private h16!: Int16Array;
  private f64!: Float64Array;
  private readonly input: number;
  private readonly registry: FinalizationRegistry<number>;

  constructor(kernel: DspKernel, constants: Float64Array) {
    this.x = kernel.exports() as unknown as AttackerExports;
    this.input = this.x.k_alloc(PIECE * 2);
    if (this.input === 0) throw new RangeError('DSP kernel: out of memory');
    this.views();
    this.f64.set(constants, this.x.k_att_consts() >> 3);
    this.x.k_att_ready();
    this.registry = new FinalizationRegistry<number>((p) => this.x.k_free(p));
  }

  /** memory.grow (k_alloc, from any channel of the module) detaches the old buffer. */
  private views(): void {
    this.buffer = this.x.memory.buffer;
    this.h16 = new Int16Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
    this.flags = new Uint8Array(this.buffer, this.x.k_att_gate_flags(), MAX_GATE);
  }

  open(owner: object): number {
    const p = this.x.k_att_new();
    if (p === 0) throw new RangeError('DSP kernel: out of memory');
    this.registry.register(owner, p, owner);
    return p;
  }

  close(owner: object, p: number): void {
    this.registry.unregister(owner);
    this.x.k_free(p);
  }

  run(p: number, samples: Int16Array): Fragment[] {
    let out = NONE;
    for (let pos = 0; pos < samples.length; pos += PIECE) {
      const m = Math.min(PIECE, samples.length - pos);
      if (this.x.memory.buffer !== this.buffer) this.views();
      this.h16.set(m === samples.length ? samples : samples.subarray(pos, pos + m), this.input >> 1);
      const n = this.x.k_att_run(p, this.input, m);
      if (n > 0) out = this.collect(n, out);
    }
    // The flags of one piece only: a longer call (a gap's silence) leaves its blocks ungated.
    if (samples.length > 0 && samples.length <= PIECE) {
      if (this.x.memory.buffer !== this.buffer) this.views();
      const g = this.x.k_att_gate() >> 3;
      this.first = this.f64[g];
      this.count = this.f64[g + 1];
    } else this.count = 0;
    return out;
  }

  flush(p: number): Fragment[] {
    const n = this.x.k_att_flush(p);
    return n > 0 ? this.collect(n, NONE) : NONE;
  }

  private collect(n: number, out: Fragment[]): Fragment[] {
    if (this.x.memory.buffer !== this.buffer) this.views();
    if (out === NONE) out = [];
    const f = this.f64;
    let i = this.x.k_att_frags() >> 3;
    for (let k = 0; k < n; k++, i += 4) {
      const s = f[i + 1];
      const e = f[i + 2];
      out.push({ digit: DTMF_KEYS[f[i]], startSample: s, endSample: e, startMs: (s * 1000) / 8000, endMs: (e * 1000) / 8000, hits: f[i + 3] });
    }
    return out;
  }
}

let shared: AttackerKernel | null | undefined;

function attackerKernel(reference: AttackerDetector): AttackerKernel | null {
  if (shared !== undefined) return shared;
  const kernel = loadKernel();
  // A kernel built before attacker-kernel.c existed has no receiver: the JS reference runs.
  shared = kernel && 'k_att_new' in kernel.exports() ? new AttackerKernel(kernel, reference.kernelConstants()) : null;
  return shared;
}

/** One stream's receiver in the kernel. */
class KernelAttacker implements FragmentReceiver {
  readonly implementation = 'kernel';
  readonly gate: BlockGate;
  private ptr: number;

  constructor(private readonly k: AttackerKernel) {
    this.ptr = k.open(this);
    this.gate = k;
  }

  private live(): number {
    if (this.ptr === 0) throw new RangeError('attacker receiver used after dispose()');
    return this.ptr;
  }

  process(samples: Int16Array): Fragment[] {
    return this.k.run(this.live(), samples);
  }

  flush(): Fragment[] {
    return this.k.flush(this.live());
  }

  dispose(): void {
    if (this.ptr === 0) return;
    this.k.close(this, this.ptr);
    this.ptr = 0;
  }
}

/** The JS reference behind the same interface. */
class JsAttacker implements FragmentReceiver {
  readonly implementation = 'js';
  readonly gate = null;
  constructor(private readonly d: AttackerDetector) {}
  process(samples: Int16Array): Fragment[] {
    return this.d.process(samples);
  }
  flush(): Fragment[] {
    return this.d.flush();
  }
  dispose(): void {}
}

/**
 * A receiver for one stream: the kernel's when it covers `opts` (8 kHz, default windows) and is
 * built, else the reference. `implementation: 'js'` asks for the reference (the differential tests).
 */
export function attackerReceiver(opts: AttackerOptions = {}, implementation?: 'js'): FragmentReceiver {
  const defaults = opts.hopSamples === undefined && opts.minHits === undefined && opts.maxDeviation === undefined
    && opts.minPeakShare === undefined && opts.blockTests === undefined && opts.screen !== false;
  if (implementation !== 'js' && defaults && (opts.sampleRate ?? 8000) === 8000) {
    // The constants come from a reference receiver of the same options, built once per process.
    const k = shared !== undefined ? shared : attackerKernel(portableReference());
    if (k) return new KernelAttacker(k);
  }
  return new JsAttacker(new AttackerDetector(opts));
}

/** The verifier's configuration as the JS reference builds it (the port's only one). */
function portableReference(): AttackerDetector {
  const r = new AttackerDetector({ sampleRate: 8000 });
  if (!r.kernelPortable) throw new Error('attacker receiver: the default configuration is not the one attacker-kernel.c was built for');
  return r;
}
