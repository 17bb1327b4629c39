/**
 * The board side of the firmware transfer sub-protocol (docs/protocol.md §13): two slots, an image
 * received in chunks that each carry their own CRC-32, resumable from the last good chunk, checked
 * whole (size + SHA-256) and then by signature before the slot becomes valid.
 *
 * Signature checking belongs to firmware-sim/firmware/ (verifyImage); it is injected here.
 */
import { createHash } from 'node:crypto';
import { crc } from '../../src/protocol/crc.ts';
import { FW_CHUNK_MAX } from '../../src/protocol/commands.ts';
import { BoardError } from './board-error.ts';

export type SlotId = 'A' | 'B';
export type SlotState = 'empty' | 'receiving' | 'complete' | 'valid' | 'invalid';

export type ImageVerifier = (bytes: Uint8Array) => { ok: true; version: string } | { ok: false; reason: string };

interface Slot {
  state: SlotState;
  version: string;
  image: Uint8Array | null;
}

interface Transfer {
  slot: SlotId;
  size: number;
  sha256: string;
  bytes: Uint8Array;
  /** End of the last good chunk: where the host resumes. */
  next: number;
}

export class FirmwareStore {
  readonly slots: Record<SlotId, Slot>;
  active: SlotId = 'A';
  /** The slot the next boot starts from. */
  next: SlotId = 'A';
  private transfer: Transfer | null = null;

  constructor(
    shippedVersion: string,
    private readonly verify: ImageVerifier,
  ) {
    // The factory image: metadata only, the simulator never needs its bytes.
    this.slots = { A: { state: 'valid', version: shippedVersion, image: null }, B: { state: 'empty', version: '', image: null } };
  }

  get runningVersion(): string {
    return this.slots[this.active].version;
  }

  begin(slot: SlotId, size: number, sha256: string): { next: number } {
    if (slot === this.active) throw new BoardError('slot-active', `slot ${slot} is running; upload to the other slot`, 'slot');
    const t = this.transfer;
    if (t && t.slot === slot && t.size === size && t.sha256 === sha256) return { next: t.next }; // resume
    this.drop();
    this.transfer = { slot, size, sha256, bytes: new Uint8Array(size), next: 0 };
    this.slots[slot] = { state: 'receiving', version: '', image: null };
    return { next: 0 };
  }

  chunk(slot: SlotId, offset: number, crcHex: string, data: Uint8Array): { next: number } {
    const t = this.transfer;
    if (!t || t.slot !== slot) throw new BoardError('bad-state', `no transfer into slot ${slot}; send FW_BEGIN first`, 'slot');
    if (data.length === 0 || data.length > FW_CHUNK_MAX) throw new BoardError('out-of-range', `a chunk holds 1 to ${FW_CHUNK_MAX} bytes`, 'data');
    if (crc(data) !== parseInt(crcHex, 16)) throw new BoardError('chunk-crc', 'chunk CRC does not match its data; resend the chunk', 'crc');
    if (offset + data.length > t.size) throw new BoardError('out-of-range', `chunk ends past the image size ${t.size}`, 'offset');
    if (offset === t.next) {
      t.bytes.set(data, offset);
      t.next += data.length;
      if (t.next === t.size) this.slots[slot].state = 'complete';
      return { next: t.next };
    }
    // A repeat of a chunk already stored is harmless (FW_CHUNK is idempotent, §13).
    if (offset + data.length <= t.next && Buffer.compare(Buffer.from(t.bytes.subarray(offset, offset + data.length)), Buffer.from(data)) === 0) {
      return { next: t.next };
    }
    throw new BoardError('chunk-offset', `expected offset ${t.next}; continue from there`, 'offset', t.next);
  }

  status(): { state: 'idle' | SlotState; slot: SlotId | ''; size: number; next: number } {
    const t = this.transfer;
    if (!t) return { state: 'idle', slot: '', size: 0, next: 0 };
    return { state: this.slots[t.slot].state, slot: t.slot, size: t.size, next: t.next };
  }

  end(slot: SlotId): { version: string } {
    const t = this.transfer;
    if (!t || t.slot !== slot) {
      // Repeating FW_END after it succeeded answers the same (idempotent).
      if (this.slots[slot].state === 'valid' && slot !== this.active) return { version: this.slots[slot].version };
      throw new BoardError('bad-state', `no transfer into slot ${slot}; send FW_BEGIN first`, 'slot');
    }
    if (t.next < t.size) throw new BoardError('bad-state', `image incomplete: ${t.next} of ${t.size} bytes; continue from next_offset`, undefined, t.next);
    const hash = createHash('sha256').update(t.bytes).digest('hex');
    if (hash !== t.sha256) {
      this.drop();
      throw new BoardError('image-hash', 'image SHA-256 does not match FW_BEGIN; upload it again');
    }
    const v = this.verify(t.bytes);
    this.transfer = null;
    if (!v.ok) {
      this.slots[slot] = { state: 'invalid', version: '', image: null };
      throw new BoardError('image-signature', `image refused: ${v.reason}; the running slot is unchanged`);
    }
    this.slots[slot] = { state: 'valid', version: v.version, image: t.bytes };
    return { version: v.version };
  }

  abort(): void {
    this.drop();
  }

  /** Marks a valid slot for the next boot; the caller reboots. */
  activate(slot: SlotId): void {
    if (this.slots[slot].state !== 'valid') throw new BoardError('slot-empty', `slot ${slot} holds no valid image`, 'slot');
    this.next = slot;
  }

  /** At boot: an unfinished transfer is lost (it lived in RAM); the marked slot runs. */
  boot(): void {
    this.drop();
    if (this.slots[this.next].state === 'valid') this.active = this.next;
    else this.next = this.active;
  }

  private drop(): void {
    if (this.transfer) {
      const s = this.slots[this.transfer.slot];
      if (s.state === 'receiving' || s.state === 'complete') this.slots[this.transfer.slot] = { state: 'empty', version: '', image: null };
    }
    this.transfer = null;
  }
}
