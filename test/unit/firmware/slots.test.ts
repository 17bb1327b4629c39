import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { buildImage, FirmwareSlots, DEV_PRIVATE_KEY_PATH, TRAILER_LENGTH } from '../../../firmware-sim/firmware/index.ts';

const DEV_PRIVATE = readFileSync(DEV_PRIVATE_KEY_PATH, 'utf8');
const MODEL = 'DG-SIM';
const image = (version: string, payloadSize = 300) =>
  buildImage({ model: MODEL, version, payload: new Uint8Array(payloadSize).map((_, i) => (i * 7) & 0xff) }, DEV_PRIVATE);

const factory = () => new FirmwareSlots({ model: MODEL, factoryImage: image('1.0.0') });
const healthy = () => true;

describe('FirmwareSlots', () => {
  it('starts on slot A with the factory image', () => {
    const s = factory();
    expect(s.activeSlot).toBe('A');
    expect(s.otherSlot).toBe('B');
    expect(s.info('A')).toMatchObject({ state: 'active', valid: true, version: '1.0.0' });
    expect(s.info('B')).toMatchObject({ state: 'empty', valid: false, version: null });
  });

  it('stage, activate, boot: runs the new slot and keeps the old one as standby', () => {
    const s = factory();
    expect(s.stage(image('1.1.0'))).toEqual({ ok: true, slot: 'B', version: '1.1.0' });
    expect(s.activate('B')).toMatchObject({ ok: true });
    expect(s.info('B').state).toBe('pending');
    const r = s.boot(healthy);
    expect(r).toMatchObject({ slot: 'B', version: '1.1.0', fellBack: false, bootCount: 1 });
    expect(s.activeSlot).toBe('B');
    expect(s.info('A')).toMatchObject({ state: 'standby', valid: true, version: '1.0.0' });
    // The next update goes to A, the slot not running.
    expect(s.otherSlot).toBe('A');
  });

  it('falls back to the previous slot when the new image fails its health check', () => {
    const s = factory();
    s.stage(image('2.0.0'));
    s.activate('B');
    const r = s.boot((slot) => slot !== 'B');
    expect(r.slot).toBe('A');
    expect(r.version).toBe('1.0.0');
    expect(r.fellBack).toBe(true);
    expect(r.attempts).toEqual([
      { slot: 'B', outcome: 'health-check-failed' },
      { slot: 'A', outcome: 'ok' },
    ]);
    expect(s.info('B')).toMatchObject({ state: 'failed', valid: false, boots: 1 });
    expect(s.info('A')).toMatchObject({ state: 'active', boots: 1 });
    // A failed slot cannot be activated again without a fresh stage.
    expect(s.activate('B')).toMatchObject({ ok: false, reason: 'not-staged' });
    // A health check that throws counts as failed.
    s.stage(image('2.0.1'));
    s.activate('B');
    expect(s.boot((slot) => { if (slot === 'B') throw new Error('watchdog'); return true; })).toMatchObject({ slot: 'A', fellBack: true, bootCount: 2 });
  });

  it('refuses unsigned, altered, truncated and wrong-model images and keeps the other slot empty', () => {
    const s = factory();
    const good = image('1.1.0');
    const altered = Uint8Array.from(good);
    altered[200] ^= 0x80;
    const cases: Array<[Uint8Array, string]> = [
      [good.subarray(0, good.length - TRAILER_LENGTH), 'unsigned'],
      [altered, 'bad-signature'],
      [good.subarray(0, 150), 'truncated'],
      [buildImage({ model: 'DG-OTHER', version: '1.1.0', payload: new Uint8Array(10) }, DEV_PRIVATE), 'wrong-model'],
    ];
    for (const [bytes, reason] of cases) {
      expect(s.stage(bytes)).toMatchObject({ ok: false, reason });
      expect(s.info('B')).toMatchObject({ state: 'empty', valid: false });
      expect(s.activate('B')).toMatchObject({ ok: false, reason: 'not-staged' });
    }
    // Booting with nothing pending keeps running A.
    expect(s.boot(healthy)).toMatchObject({ slot: 'A', fellBack: false });
  });

  it('a slot whose flash was corrupted after staging fails verification at boot and the board falls back', () => {
    const s = factory();
    s.stage(image('1.1.0'));
    s.activate('B');
    // Reach into the slot as bit rot would: the image is re-verified at every boot.
    const slotB = (s as unknown as { slots: Record<string, { image: Uint8Array }> }).slots.B;
    slotB.image[10] ^= 0x01;
    const r = s.boot(healthy);
    expect(r).toMatchObject({ slot: 'A', fellBack: true });
    expect(r.attempts[0]).toEqual({ slot: 'B', outcome: 'verify-failed' });
  });

  it('chunked upload: out-of-order chunks and retried chunks assemble the image; a conflicting chunk is refused', () => {
    const s = factory();
    const img = image('1.2.0', 5000);
    const begun = s.beginUpload(img.length);
    expect(begun.ok).toBe(true);
    const up = begun.session!;
    expect(s.info('B')).toMatchObject({ state: 'uploading', valid: false });
    const CHUNK = 512;
    const offsets = Array.from({ length: Math.ceil(img.length / CHUNK) }, (_, i) => i * CHUNK).reverse();
    for (const off of offsets) {
      expect(up.write(off, img.subarray(off, off + CHUNK)).ok).toBe(true);
      if (off === 1024) expect(up.write(off, img.subarray(off, off + CHUNK)).ok).toBe(true); // retry
    }
    const conflicting = Uint8Array.from(img.subarray(0, 10));
    conflicting[0] ^= 1;
    expect(up.write(0, conflicting)).toMatchObject({ ok: false, reason: 'bad-chunk' });
    expect(up.write(img.length - 1, new Uint8Array(2))).toMatchObject({ ok: false, reason: 'bad-chunk' });
    expect(s.finishUpload()).toEqual({ ok: true, slot: 'B', version: '1.2.0' });
    expect(s.activate('B').ok).toBe(true);
    expect(s.boot(healthy)).toMatchObject({ slot: 'B', version: '1.2.0' });
  });

  it('an incomplete upload cannot be finished and leaves the running slot untouched', () => {
    const s = factory();
    const img = image('1.2.0', 2000);
    const up = s.beginUpload(img.length).session!;
    up.write(0, img.subarray(0, 1000));
    expect(s.finishUpload()).toMatchObject({ ok: false, reason: 'incomplete' });
    expect(s.finishUpload()).toMatchObject({ ok: false, reason: 'incomplete' });
    expect(s.boot(healthy)).toMatchObject({ slot: 'A', version: '1.0.0' });
    expect(s.beginUpload(0)).toMatchObject({ ok: false, reason: 'too-large' });
  });

  it('property: whatever sequence of updates and health outcomes, a slot with a valid image stays bootable', () => {
    const goodImages = ['1.1.0', '1.2.0', '1.3.0'].map((v) => image(v, 64));
    const bad = Uint8Array.from(goodImages[0]);
    bad[bad.length - 1] ^= 1;
    fc.assert(
      fc.property(
        fc.array(fc.record({ img: fc.integer({ min: 0, max: 3 }), healthy: fc.boolean(), activate: fc.boolean() }), { maxLength: 12 }),
        (steps) => {
          const s = factory();
          for (const st of steps) {
            s.stage(st.img === 3 ? bad : goodImages[st.img]);
            if (st.activate) s.activate(s.otherSlot);
            const r = s.boot((slot) => st.healthy || slot === s.activeSlot);
            if (r.slot === null) return false;
          }
          return s.activeSlot !== null && s.info(s.activeSlot).valid;
        },
      ),
      { numRuns: 100 },
    );
  });
});
