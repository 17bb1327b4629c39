export type { Transport } from './transport.ts';
export { createTransport, parseTarget, LINK_DEFAULTS, type LinkOptions, type LinkTarget } from './open-transport.ts';
export { SerialTransport } from './serial-transport.ts';
export { TcpTransport } from './tcp-transport.ts';
export { MemoryTransport, createMemoryPair } from './memory-transport.ts';
export { LINK_CODES } from './link-errors.ts';
