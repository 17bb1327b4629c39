/**
 * The board's two firmware slots (A/B), as on boards that update in place without a rescue image:
 * a new image is written to the slot that is not running, verified, marked for the next boot, and
 * only committed once it has booted and passed its health check. Until then the previous slot stays
 * bootable, so a bad image (or a power cut during the upload) never bricks the board.
 */
import { verifyImage, DEV_PUBLIC_KEY, type VerifyFailure } from './image.ts';

export type SlotId = 'A' | 'B';

/**
 * empty: never written; uploading: being written (not bootable); staged: verified, not yet
 * activated; pending: activated, boots next; active: running and committed; standby: a committed
 * image that is not running (the fallback); failed: failed verification at boot or its health check.
 */
export type SlotState = 'empty' | 'uploading' | 'staged' | 'pending' | 'active' | 'standby' | 'failed';

export interface SlotInfo {
  slot: SlotId;
  state: SlotState;
  /** True when the slot holds an image that verified and has not failed: a boot may pick it. */
  valid: boolean;
  version: string | null;
  model: string | null;
  size: number;
  /** Boots attempted from this slot. */
  boots: number;
}

export type SlotResult = { ok: true; slot: SlotId; version: string } | { ok: false; reason: VerifyFailure | SlotRefusal; message: string };

export type SlotRefusal = 'no-upload' | 'bad-chunk' | 'incomplete' | 'not-staged' | 'is-running' | 'too-large';

export interface BootResult {
  /** The slot now running, or null when no slot could boot. */
  slot: SlotId | null;
  version: string | null;
  /** True when the slot marked for this boot failed and the board fell back. */
  fellBack: boolean;
  /** Slots tried in order, with the outcome of each. */
  attempts: Array<{ slot: SlotId; outcome: 'ok' | 'health-check-failed' | 'verify-failed' }>;
  bootCount: number;
}

export interface FirmwareSlotsOptions {
  /** The board's model: an image for another model is refused. */
  model: string;
  /** Trusted public key (PEM). Defaults to the DEVELOPMENT-ONLY simulator key. */
  publicKeyPem?: string;
  /** The image in slot A at manufacture (it is committed as the running slot). */
  factoryImage?: Uint8Array;
  /** Largest image a slot holds; a 16 MiB flash partition per slot is typical of such boards. */
  slotSize?: number;
}

interface Slot {
  id: SlotId;
  state: SlotState;
  image: Uint8Array | null;
  version: string | null;
  model: string | null;
  boots: number;
}

/** An upload in progress into the inactive slot: chunks at explicit offsets, so a retried chunk is harmless. */
export class UploadSession {
  private readonly buf: Uint8Array;
  private received = 0;
  private readonly filled: Uint8Array;

  constructor(readonly slot: SlotId, readonly size: number) {
    this.buf = new Uint8Array(size);
    this.filled = new Uint8Array(size);
  }

  /** Writes `chunk` at `offset`. Rewriting a range with the same bytes (a retry) is accepted. */
  write(offset: number, chunk: Uint8Array): { ok: true; received: number } | { ok: false; reason: 'bad-chunk'; message: string } {
    if (!Number.isInteger(offset) || offset < 0 || offset + chunk.length > this.size) {
      return { ok: false, reason: 'bad-chunk', message: `chunk at ${offset} (+${chunk.length}) is outside the ${this.size}-byte image` };
    }
    for (let i = 0; i < chunk.length; i++) {
      const at = offset + i;
      if (this.filled[at]) {
        if (this.buf[at] !== chunk[i]) {
          return { ok: false, reason: 'bad-chunk', message: `chunk at ${offset} differs from bytes already received; restart the upload` };
        }
      } else {
        this.filled[at] = 1;
        this.buf[at] = chunk[i];
        this.received++;
      }
    }
    return { ok: true, received: this.received };
  }

  get complete(): boolean {
    return this.received === this.size;
  }

  get receivedBytes(): number {
    return this.received;
  }

  bytes(): Uint8Array {
    return this.buf;
  }
}

export class FirmwareSlots {
  readonly model: string;
  private readonly publicKeyPem: string;
  private readonly slotSize: number;
  private readonly slots: Record<SlotId, Slot>;
  private running: SlotId | null = null;
  private upload: UploadSession | null = null;
  private boots = 0;

  constructor(options: FirmwareSlotsOptions) {
    this.model = options.model;
    this.publicKeyPem = options.publicKeyPem ?? DEV_PUBLIC_KEY;
    this.slotSize = options.slotSize ?? 16 * 1024 * 1024;
    this.slots = {
      A: { id: 'A', state: 'empty', image: null, version: null, model: null, boots: 0 },
      B: { id: 'B', state: 'empty', image: null, version: null, model: null, boots: 0 },
    };
    if (options.factoryImage) {
      const v = verifyImage(options.factoryImage, this.publicKeyPem, { model: this.model });
      if (!v.ok) throw new RangeError(`factory image refused: ${v.message}`);
      Object.assign(this.slots.A, { state: 'active', image: options.factoryImage, version: v.version, model: v.model });
      this.running = 'A';
    }
  }

  /** The slot running now (null on a board with no bootable image). */
  get activeSlot(): SlotId | null {
    return this.running;
  }

  /** The slot an update writes to: the one not running. */
  get otherSlot(): SlotId {
    return this.running === 'A' ? 'B' : 'A';
  }

  get bootCount(): number {
    return this.boots;
  }

  get activeVersion(): string | null {
    return this.running ? this.slots[this.running].version : null;
  }

  info(slot: SlotId): SlotInfo {
    const s = this.slots[slot];
    return {
      slot,
      state: s.state,
      valid: s.image !== null && s.state !== 'failed' && s.state !== 'uploading',
      version: s.version,
      model: s.model,
      size: s.image?.length ?? 0,
      boots: s.boots,
    };
  }

  list(): SlotInfo[] {
    return [this.info('A'), this.info('B')];
  }

  /** Starts a chunked upload into the other slot; the slot's previous content is no longer bootable. */
  beginUpload(size: number): SlotResult & { session?: UploadSession } {
    if (!Number.isInteger(size) || size <= 0 || size > this.slotSize) {
      return { ok: false, reason: 'too-large', message: `image size ${size} does not fit a ${this.slotSize}-byte slot` };
    }
    const target = this.slots[this.otherSlot];
    Object.assign(target, { state: 'uploading', image: null, version: null, model: null });
    this.upload = new UploadSession(target.id, size);
    return { ok: true, slot: target.id, version: '', session: this.upload };
  }

  get currentUpload(): UploadSession | null {
    return this.upload;
  }

  /** Verifies the completed upload and stages it in the other slot. */
  finishUpload(): SlotResult {
    const up = this.upload;
    if (!up) return { ok: false, reason: 'no-upload', message: 'no firmware upload in progress; begin one first' };
    if (!up.complete) {
      return { ok: false, reason: 'incomplete', message: `upload incomplete: ${up.receivedBytes} of ${up.size} bytes received` };
    }
    this.upload = null;
    return this.stage(up.bytes());
  }

  /** Verifies `bytes` and writes them to the other slot (state `staged`). A refused image leaves the slot empty. */
  stage(bytes: Uint8Array): SlotResult {
    const target = this.slots[this.otherSlot];
    this.upload = null; // a direct stage supersedes any half-done upload
    if (bytes.length > this.slotSize) {
      return { ok: false, reason: 'too-large', message: `image of ${bytes.length} bytes does not fit a ${this.slotSize}-byte slot` };
    }
    const v = verifyImage(bytes, this.publicKeyPem, { model: this.model });
    if (!v.ok) {
      Object.assign(target, { state: 'empty', image: null, version: null, model: null });
      return v;
    }
    Object.assign(target, { state: 'staged', image: Uint8Array.from(bytes), version: v.version, model: v.model });
    return { ok: true, slot: target.id, version: v.version };
  }

  /** Marks a staged (or standby) slot to be tried at the next boot. */
  activate(slot: SlotId): SlotResult {
    const s = this.slots[slot];
    if (slot === this.running) return { ok: false, reason: 'is-running', message: `slot ${slot} is already running` };
    if (s.state !== 'staged' && s.state !== 'standby') {
      return { ok: false, reason: 'not-staged', message: `slot ${slot} is ${s.state}; stage a verified image first` };
    }
    s.state = 'pending';
    return { ok: true, slot, version: s.version ?? '' };
  }

  /**
   * Boots: tries the pending slot if any, else the running one; each candidate is re-verified
   * (flash can rot) and must pass `healthCheck`. On failure the board falls back to the slot it
   * ran before. Only a slot that passes is committed.
   */
  boot(healthCheck: (slot: SlotId, version: string) => boolean): BootResult {
    this.boots++;
    const pending = (['A', 'B'] as const).find((id) => this.slots[id].state === 'pending');
    const candidates: SlotId[] = [];
    if (pending) candidates.push(pending);
    if (this.running && !candidates.includes(this.running)) candidates.push(this.running);
    for (const id of ['A', 'B'] as const) {
      const st = this.slots[id].state;
      if (!candidates.includes(id) && (st === 'standby' || st === 'active')) candidates.push(id);
    }
    const attempts: BootResult['attempts'] = [];
    for (const id of candidates) {
      const s = this.slots[id];
      s.boots++;
      const v = s.image ? verifyImage(s.image, this.publicKeyPem, { model: this.model }) : null;
      if (!v || !v.ok) {
        s.state = 'failed';
        attempts.push({ slot: id, outcome: 'verify-failed' });
        continue;
      }
      let healthy = false;
      try {
        healthy = healthCheck(id, v.version);
      } catch {
        healthy = false; // a health check that throws is a failed one
      }
      if (!healthy) {
        s.state = 'failed';
        attempts.push({ slot: id, outcome: 'health-check-failed' });
        continue;
      }
      attempts.push({ slot: id, outcome: 'ok' });
      s.state = 'active';
      const other = this.slots[id === 'A' ? 'B' : 'A'];
      if (other.state === 'active' || other.state === 'pending') other.state = 'standby';
      this.running = id;
      return { slot: id, version: s.version, fellBack: pending !== undefined && id !== pending, attempts, bootCount: this.boots };
    }
    this.running = null;
    return { slot: null, version: null, fellBack: pending !== undefined, attempts, bootCount: this.boots };
  }
}
