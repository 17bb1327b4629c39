import { describe, expect, it } from 'vitest';
import { emptyArray } from '../../src/empty-array.ts';

describe('emptyArray', () => {
  it('empties an array in place, which then refills from index 0', () => {
    const a = [1, 2, 3];
    const same = a;
    emptyArray(a);
    expect(a).toHaveLength(0);
    a.push(7);
    expect(same).toEqual([7]);
    emptyArray(a);
    emptyArray(a); // already empty
    expect(a).toEqual([]);
  });
});
