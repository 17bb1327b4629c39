import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/service/logger.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, stream };
}

describe('logger', () => {
  it('writes JSON lines with a level label and ISO time', () => {
    const { lines, stream } = capture();
    createLogger({ destination: stream, pretty: false }).info({ event: 'link.up', port: '/dev/ttyS0' }, 'link up');
    const entry = JSON.parse(lines[0]);
    expect(entry).toMatchObject({ level: 'info', event: 'link.up', port: '/dev/ttyS0', msg: 'link up', name: 'dtmfguard' });
    expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('redacts card numbers in messages, fields and nested objects', () => {
    const { lines, stream } = capture();
    const log = createLogger({ destination: stream, pretty: false });
    log.warn({ detail: { keyed: '4111111111111111' } }, 'caller keyed 5555 5555 5555 4444');
    log.error('pan %s', '378282246310005');
    const text = lines.join('\n');
    expect(text).not.toMatch(/4111111111111111|5555 5555 5555 4444|378282246310005/);
    expect(text).toContain('[REDACTED]');
  });
});
