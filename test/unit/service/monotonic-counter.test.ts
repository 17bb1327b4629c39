import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MonotonicCounter } from '../../../src/service/monotonic-counter.ts';

describe('monotonic counter over board readings', () => {
  it('ignores history before the first reading and adds increases after it', () => {
    const c = new MonotonicCounter();
    c.observe(500, 'boot1');
    c.observe(520, 'boot1');
    c.observe(521, 'boot1');
    expect(c.value).toBe(21);
  });

  it('keeps increasing across a counter reset (new epoch) and a reboot', () => {
    const c = new MonotonicCounter();
    c.observe(10, 'boot1/0');
    c.observe(30, 'boot1/0'); // +20
    c.observe(4, 'boot1/1'); // reset, then 4 counted: +4
    c.observe(9, 'boot1/1'); // +5
    c.observe(2, 'boot2/0'); // reboot: +2
    expect(c.value).toBe(31);
  });

  it('handles the 32-bit wrap and an unannounced drop', () => {
    const c = new MonotonicCounter();
    c.observe(0xfffffff0, 'b');
    c.observe(0x10, 'b');
    expect(c.value).toBe(0x20);
    c.observe(3, 'b'); // dropped without a new epoch: counted as a restart from zero
    expect(c.value).toBe(0x20 + 3);
  });

  it('property: never decreases, whatever the readings', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(2 ** 32 - 1), fc.constantFrom('a', 'b', 'c'))), (readings) => {
        const c = new MonotonicCounter();
        let prev = 0;
        for (const [r, e] of readings) {
          c.observe(r, e);
          expect(c.value).toBeGreaterThanOrEqual(prev);
          prev = c.value;
        }
      }),
    );
  });
});
