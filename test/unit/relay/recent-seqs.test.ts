/**
 * RecentSeqs against the array it replaced (push, shift past the capacity, includes, length = 0):
 * the same answer for every question after any sequence of additions and clears.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { RecentSeqs } from '../../../firmware-sim/relay/recent-seqs.ts';

it('remembers exactly the last `capacity` sequence numbers added since the last clear', () => {
  const op = fc.oneof(fc.record({ add: fc.integer({ min: 0, max: 0xffff }) }), fc.record({ ask: fc.integer({ min: 0, max: 0xffff }) }), fc.constant('clear' as const));
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.array(op, { maxLength: 300 }), fc.integer({ min: 0, max: 3 }), (capacity, ops, pool) => {
      // A small pool of values makes repeats and questions about remembered values common.
      const v = (x: number) => (pool === 0 ? x : x % (capacity * 2 + pool));
      const r = new RecentSeqs(capacity);
      const model: number[] = [];
      for (const o of ops) {
        if (o === 'clear') {
          r.clear();
          model.length = 0;
        } else if ('add' in o) {
          r.add(v(o.add));
          model.push(v(o.add));
          if (model.length > capacity) model.shift();
        } else expect(r.has(v(o.ask))).toBe(model.includes(v(o.ask)));
        for (const s of model) expect(r.has(s)).toBe(true);
      }
    }),
    { numRuns: 300 },
  );
});
