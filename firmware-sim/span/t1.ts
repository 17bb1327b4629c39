/**
 * T1 framing: ITU-T G.704 §3.1 and ANSI T1.403, with the frame alignment rules of G.706 §2 and
 * ANSI T1.231.
 *
 * ESF (24 frames, 3 ms): F bits of frames 4, 8, ..., 24 carry the framing pattern FPS = 001011;
 * frames 2, 6, ..., 22 carry CRC-6 C1..C6 of the previous superframe (computed over its 4632 bits
 * with every F bit taken as 1); odd frames carry the 4 kbit/s facility data link (FDL). RAI
 * ("yellow") is the repeating 16-bit pattern 11111111 00000000 on the FDL; the idle FDL sends HDLC
 * flags.
 * D4/SF (12 frames, 1.5 ms): Ft (odd frames) = 101010, Fs (even frames) = 001110. RAI is bit 2
 * of every channel forced to 0. There is no CRC.
 * Robbed-bit signalling is not modelled: every timeslot is a clear 64 kbit/s channel.
 */
import { CRC6 } from './crc.ts';

// Module-local binding of the CRC table for the per-byte loops.
const T = CRC6.table;
import { frameFormat, type T1Framing } from './format.ts';
import { Receiver } from './receiver.ts';

const FPS = [0, 0, 1, 0, 1, 1];
const FT = [1, 0, 1, 0, 1, 0];
const FS = [0, 0, 1, 1, 1, 0];
const HDLC_FLAG = 0x7e;
/** The yellow alarm pattern in any of its 16 phases. */
const YELLOW = new Set<number>(Array.from({ length: 16 }, (_, r) => ((0xff00 << r) | (0xff00 >>> (16 - r))) & 0xffff));

export class T1Transmitter {
  readonly format;
  readonly frames: Uint8Array;
  private prevCrc = 0;
  private fdlPhase = 0;

  constructor(readonly framing: T1Framing = 'esf') {
    this.format = frameFormat('t1', framing);
    this.frames = new Uint8Array(this.format.framesPerTick * 25);
  }

  /** Writes the F bits (and the CRC-6) into `frames`, whose timeslots the caller has filled. */
  build(rai: boolean): Uint8Array {
    const fr = this.frames;
    if (this.framing === 'd4') {
      for (let f = 0; f < 12; f++) {
        const n = f + 1;
        const base = f * 25;
        fr[base] = n & 1 ? FT[(n - 1) >> 1] : FS[(n >> 1) - 1];
        if (rai) for (let i = base + 1; i < base + 25; i++) fr[i] &= 0xbf; // bit 2 = 0 in every channel
      }
      return fr;
    }
    let reg = CRC6.init;
    for (let f = 0; f < 24; f++) {
      const n = f + 1;
      const base = f * 25;
      let F: number;
      if (n % 4 === 0) F = FPS[n / 4 - 1];
      else if (n % 2 === 0) F = (this.prevCrc >> (5 - (n - 2) / 4)) & 1;
      else {
        const p = this.fdlPhase;
        F = rai ? (p < 8 ? 1 : 0) : (HDLC_FLAG >> (7 - (p & 7))) & 1;
        this.fdlPhase = (p + 1) & 15;
      }
      fr[base] = F;
      reg = CRC6.bit(reg, 1); // F bits enter the CRC-6 as 1 (T1.403)
      for (let i = base + 1; i < base + 25; i++) reg = T[reg ^ fr[i]];
    }
    this.prevCrc = CRC6.value(reg);
    return fr;
  }
}

export class T1Receiver extends Receiver {
  private fHist = 0; // last 4 framing bits checked, 1 = in error
  private huntErrors = 0;
  private huntBits = 0;
  private reg = 0;
  private rxC = 0;
  private sfClean = false;
  private prevCrc = 0;
  private prevValid = false;
  private fdlReg = 0;
  private fdlBits = 0;
  private yellowHist = 0; // last 10 FDL 16-bit intervals, 1 = yellow pattern
  private bit2Zero = true;
  private bit2Superframes = 0;

  constructor(readonly framing: T1Framing = 'esf') {
    super(frameFormat('t1', framing));
  }

  protected frame(fr: Uint8Array, base: number, f: number): void {
    const n = f + 1;
    const F = fr[base] & 1;
    if (f === 0) {
      this.reg = CRC6.init;
      this.rxC = 0;
      this.sfClean = !this.oof;
      this.huntErrors = 0;
      this.huntBits = 0;
      this.bit2Zero = true;
    }
    if (this.framing === 'esf') {
      let reg = CRC6.bit(this.reg, 1);
      for (let i = base + 1; i < base + 25; i++) reg = T[reg ^ fr[i]];
      this.reg = reg;
      if (n % 4 === 0) this.framingBit(F !== FPS[n / 4 - 1], true);
      else if (n % 2 === 0) this.rxC = (this.rxC << 1) | F;
      else if (!this.oof) this.fdlBit(F);
    } else {
      const expected = n & 1 ? FT[(n - 1) >> 1] : FS[(n >> 1) - 1];
      // Both Ft and Fs errors are framing bit errors; alignment is judged on the Ft bits.
      this.framingBit(F !== expected, (n & 1) === 1);
      let or = 0;
      for (let i = base + 1; i < base + 25; i++) or |= fr[i];
      if (or & 0x40) this.bit2Zero = false;
    }
  }

  /** T1.231 / G.706 §2.1.1: OOF when 2 of 4 consecutive framing bits are in error. */
  private framingBit(err: boolean, judges: boolean): void {
    if (this.oof) {
      this.huntBits++;
      if (err) this.huntErrors++;
      return;
    }
    if (err) this.counts.fe++;
    if (!judges) return;
    this.fHist = ((this.fHist << 1) | (err ? 1 : 0)) & 0xf;
    let bad = 0;
    for (let h = this.fHist; h; h >>= 1) bad += h & 1;
    if (bad >= 2) {
      this.loseAlignment(true);
    }
  }

  private fdlBit(bit: number): void {
    this.fdlReg = ((this.fdlReg << 1) | bit) & 0xffff;
    if (++this.fdlBits < 16) return;
    this.fdlBits = 0;
    // T1.403: yellow is detected when the pattern fills at least 7 of 10 consecutive 16-bit intervals.
    this.yellowHist = ((this.yellowHist << 1) | (YELLOW.has(this.fdlReg) ? 1 : 0)) & 0x3ff;
    let count = 0;
    for (let h = this.yellowHist; h; h >>= 1) count += h & 1;
    this.rai = count >= 7;
  }

  protected endTick(): void {
    if (this.oof) {
      // Reframe on a whole superframe whose framing bits are all right (well inside the 15 ms
      // maximum average reframe time of T1.403 for ESF).
      if (this.huntBits === (this.framing === 'esf' ? 6 : 12) && this.huntErrors === 0) {
        this.oof = false;
        this.fHist = 0;
        this.yellowHist = 0;
        this.fdlBits = 0;
        this.bit2Superframes = 0;
      }
      return;
    }
    if (this.framing === 'esf') {
      if (this.sfClean && this.prevValid) {
        const errored = this.rxC !== this.prevCrc;
        if (errored) this.counts.crc++;
        this.blockErrors.push(errored);
      }
      this.prevCrc = CRC6.value(this.reg);
      this.prevValid = this.sfClean;
    } else if (this.sfClean) {
      // D4 yellow: bit 2 at 0 in every channel for two whole superframes (3 ms); any 1 clears it.
      this.bit2Superframes = this.bit2Zero ? this.bit2Superframes + 1 : 0;
      this.rai = this.bit2Superframes >= 2;
    }
  }

  protected framingSteady(): boolean {
    return this.fHist === 0 && this.yellowHist === 0 && this.bit2Superframes === 0 && (this.framing === 'd4' || this.prevValid);
  }

  protected override loseAlignment(counted: boolean): void {
    super.loseAlignment(counted);
    this.sfClean = false;
    this.prevValid = false;
  }
}
