/**
 * E1 framing: ITU-T G.704 §2.3 (frame, TS0, CRC-4 multiframe, TS16) and the receiver procedures of
 * G.706 §4 (frame alignment loss and recovery, CRC-4 checking).
 *
 * TS0 (bit 1 is the MSB of the byte):
 *   frames with FAS (even):  C  0 0 1 1 0 1 1    C = CRC-4 bit of the previous sub-multiframe
 *   frames without (odd):    Si 1 A Sa4..Sa8     Si = multiframe signal 001011 in frames 1-11,
 *                                                 E bits in frames 13 and 15; A = remote alarm (RAI)
 * The 16-frame CRC-4 multiframe is two sub-multiframes (SMF) of 8 frames; each SMF is one CRC block
 * (2048 bits, 1000 blocks/s) whose CRC-4, computed with its own C bits at 0, is sent in the C bits
 * of the next SMF (G.704 §2.3.3.5).
 */
import { CRC4 } from './crc.ts';

// Module-local binding of the CRC table for the per-byte loops.
const T = CRC4.table;
import { frameFormat, type E1Signalling } from './format.ts';
import { Receiver } from './receiver.ts';

const FAS = 0x1b; // 0011011 in bits 2-8
const MFAS = [0, 0, 1, 0, 1, 1]; // Si of NFAS frames 1, 3, 5, 7, 9, 11
/** G.704 §5.1.3.2: ABCD = 1101 where a channel does not use signalling bits (B and D spare at 1). */
export const CAS_IDLE = 0b1101;
/** CCS idle: HDLC flags on the D channel. */
const HDLC_FLAG = 0x7e;

export class E1Transmitter {
  readonly format = frameFormat('e1');
  readonly frames = new Uint8Array(16 * 32);
  /** ABCD bits sent per timeslot (CAS only). */
  readonly casTx = new Uint8Array(32).fill(CAS_IDLE);
  private prevCrc = 0;
  private readonly eBits: number[] = [];

  constructor(readonly signalling: E1Signalling = 'cas') {}

  /** True when only "no error" E bits are queued. */
  get steady(): boolean {
    return this.eBits.every((e) => e === 1);
  }

  /** Queues E bits for blocks received in error (E = 0) or clean (E = 1), G.704 §2.3.3.4. */
  reportBlocks(errors: readonly boolean[]): void {
    for (const e of errors) if (this.eBits.length < 16) this.eBits.push(e ? 0 : 1);
  }

  /**
   * Writes TS0 (framing, CRC-4) and, unless `keepTs16`, TS16 into `frames`, whose bearers the
   * caller has filled. Returns the same buffer.
   */
  build(rai: boolean, keepTs16 = false): Uint8Array {
    const fr = this.frames;
    for (let s = 0; s < 2; s++) {
      let reg = CRC4.init;
      for (let k = 0; k < 8; k++) {
        const f = s * 8 + k;
        const base = f * 32;
        let ts0: number;
        if ((f & 1) === 0) {
          const c = (this.prevCrc >> (3 - (k >> 1))) & 1;
          ts0 = (c << 7) | FAS;
        } else {
          const si = f <= 11 ? MFAS[(f - 1) >> 1] : (this.eBits.shift() ?? 1);
          ts0 = (si << 7) | 0x40 | (rai ? 0x20 : 0) | 0x1f; // Sa4-Sa8 unused: 1 (G.704 §2.3.2)
        }
        fr[base] = ts0;
        if (!keepTs16) {
          if (this.signalling === 'ccs') fr[base + 16] = HDLC_FLAG;
          // CAS multiframe frame 0: 0000 X Y X X, X spare = 1, Y = multiframe alarm = 0.
          else fr[base + 16] = f === 0 ? 0x0b : (this.casTx[f] << 4) | this.casTx[f + 16];
        }
        reg = T[reg ^ ((f & 1) === 0 ? ts0 & 0x7f : ts0)]; // C bits count as 0
        for (let i = base + 1; i < base + 32; i++) reg = T[reg ^ fr[i]];
      }
      this.prevCrc = CRC4.value(reg);
    }
    return fr;
  }
}

export class E1Receiver extends Receiver {
  /** ABCD bits last received per timeslot (CAS). */
  readonly casRx = new Uint8Array(32).fill(CAS_IDLE);
  private badFas = 0;
  private hunt = 0;
  private reg = 0;
  private rxC = 0;
  private smfClean = false;
  private prevCrc = 0;
  private prevValid = false;
  private aOnes = 0;
  private aZeros = 0;

  constructor(readonly signalling: E1Signalling = 'cas') {
    super(frameFormat('e1'));
  }

  protected frame(fr: Uint8Array, base: number, f: number): void {
    const ts0 = fr[base];
    if ((f & 7) === 0) {
      this.reg = CRC4.init;
      this.rxC = 0;
      this.smfClean = !this.oof;
    }
    if (this.oof) {
      this.huntFrame(ts0, f);
      return;
    }
    if ((f & 1) === 0) {
      if ((ts0 & 0x7f) !== FAS) {
        this.counts.fe++;
        // G.706 §4.1.1: frame alignment is lost after three consecutive incorrect FAS.
        if (++this.badFas >= 3) {
          this.loseAlignment(true);
          return;
        }
      } else {
        this.badFas = 0;
      }
      this.rxC = (this.rxC << 1) | (ts0 >> 7);
      this.reg = T[this.reg ^ (ts0 & 0x7f)];
    } else {
      // A bit: RAI present after 3 consecutive NFAS words with A = 1, gone after 3 with A = 0.
      if (ts0 & 0x20) {
        this.aZeros = 0;
        if (++this.aOnes >= 3) this.rai = true;
      } else {
        this.aOnes = 0;
        if (++this.aZeros >= 3) this.rai = false;
      }
      if ((f === 13 || f === 15) && !(ts0 & 0x80)) this.counts.febe++;
      this.reg = T[this.reg ^ ts0];
    }
    let reg = this.reg;
    for (let i = base + 1; i < base + 32; i++) reg = T[reg ^ fr[i]];
    this.reg = reg;
    if (this.signalling === 'cas' && f !== 0) {
      const ts16 = fr[base + 16];
      this.casRx[f] = ts16 >> 4;
      this.casRx[f + 16] = ts16 & 0x0f;
    }
    if ((f & 7) === 7) this.endSmf();
  }

  private endSmf(): void {
    if (!this.smfClean) {
      this.prevValid = false;
      return;
    }
    if (this.prevValid) {
      const errored = this.rxC !== this.prevCrc;
      if (errored) this.counts.crc++;
      this.blockErrors.push(errored);
    }
    this.prevCrc = CRC4.value(this.reg);
    this.prevValid = true;
  }

  /** G.706 §4.1.2: FAS in frame n, bit 2 = 1 in the NFAS of frame n+1, FAS again in frame n+2. */
  private huntFrame(ts0: number, f: number): void {
    const fasOk = (f & 1) === 0 && (ts0 & 0x7f) === FAS;
    if (this.hunt === 0) {
      if (fasOk) this.hunt = 1;
    } else if (this.hunt === 1) {
      this.hunt = (f & 1) === 1 && ts0 & 0x40 ? 2 : 0;
    } else {
      this.hunt = 0;
      if (fasOk) {
        this.oof = false;
        this.badFas = 0;
        this.aOnes = this.aZeros = 0;
      }
    }
  }

  protected endTick(): void {}

  protected framingSteady(): boolean {
    return this.badFas === 0 && this.hunt === 0 && this.prevValid && this.aOnes === 0;
  }

  protected override loseAlignment(counted: boolean): void {
    super.loseAlignment(counted);
    this.hunt = 0;
    this.smfClean = false;
    this.prevValid = false;
  }
}
