/** A frame passed over, and why (counted by reason in the capture summary, never fatal). */
export interface Skip {
  skip: string;
}

export function skip(reason: string): Skip {
  return { skip: reason };
}

export function isSkip(x: object): x is Skip {
  return 'skip' in x;
}
