/**
 * Wires the board's firmware transfer to the signature check of firmware-sim/firmware/ (Ed25519,
 * DEVELOPMENT-ONLY key by default): an image for another model, unsigned or altered is refused.
 */
import { verifyImage } from '../firmware/index.ts';
import type { ImageVerifier } from './fw-transfer.ts';

export function firmwareVerifier(model: string, publicKeyPem?: string): ImageVerifier {
  return (bytes) => {
    const r = verifyImage(bytes, publicKeyPem, { model });
    return r.ok ? { ok: true, version: r.version } : { ok: false, reason: `${r.reason} (${r.message})` };
  };
}
