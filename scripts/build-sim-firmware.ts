/**
 * Builds a signed simulator firmware image (format: docs/firmware-images.md).
 *
 *   npx tsx scripts/build-sim-firmware.ts --version 1.2.3 --out fw.img [--key PEM] [--model M] [--payload FILE]
 *
 * Without --key it signs with the DEVELOPMENT-ONLY key pair in firmware-sim/firmware/dev-keys/, which
 * only the simulator trusts. The payload is deterministic (no timestamp), so the same inputs give
 * the same image byte for byte.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildImage, verifyImage, DEV_PRIVATE_KEY_PATH } from '../firmware-sim/firmware/image.ts';
import { DgError } from '../src/errors.ts';
import { runMain } from '../src/cli/run.ts';
import { createPublicKey } from 'node:crypto';

/** The simulated board's model name when none is given. */
const SIM_MODEL = 'DG-SIM';

function usage(message: string): DgError {
  return new DgError('DG5801', `${message} (usage: build-sim-firmware --version X.Y.Z --out FILE [--key PEM] [--model M] [--payload FILE])`);
}

await runMain(async () => {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        version: { type: 'string' },
        out: { type: 'string' },
        key: { type: 'string' },
        model: { type: 'string' },
        payload: { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (e) {
    throw usage((e as Error).message);
  }
  if (!values.version || !/^\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/.test(values.version) || values.version.length > 32) {
    throw usage('--version must be a semantic version such as 1.2.3');
  }
  if (!values.out) throw usage('--out is required');
  const model = values.model ?? SIM_MODEL;
  if (!/^[\x21-\x7e]{1,32}$/.test(model)) throw usage('--model must be 1..32 printable ASCII characters');
  const keyPath = values.key ?? DEV_PRIVATE_KEY_PATH;
  let keyPem: string;
  try {
    keyPem = readFileSync(keyPath, 'utf8');
  } catch {
    throw new DgError('DG5802', `cannot read signing key ${keyPath}; pass --key with a readable Ed25519 PEM file`);
  }
  let payload: Uint8Array;
  if (values.payload) {
    try {
      payload = readFileSync(values.payload);
    } catch {
      throw new DgError('DG5803', `cannot read payload ${values.payload}; check the path`);
    }
  } else {
    // A simulator image carries no machine code: a small manifest is enough for the board model.
    payload = Buffer.from(JSON.stringify({ kind: 'dtmfguard-simulator-firmware', model, version: values.version }) + '\n');
  }
  let image: Uint8Array;
  try {
    image = buildImage({ model, version: values.version, payload }, keyPem);
  } catch (e) {
    throw new DgError('DG5804', `cannot sign the image: ${(e as Error).message}; --key must be an Ed25519 private key (PKCS#8 PEM)`);
  }
  // Self-check with the matching public key, so a broken build never leaves this script.
  const check = verifyImage(image, createPublicKey(keyPem).export({ format: 'pem', type: 'spki' }).toString());
  if (!check.ok) throw new DgError('DG5805', `built image failed its own verification: ${check.message}`);
  try {
    writeFileSync(values.out, image);
  } catch {
    throw new DgError('DG5806', `cannot write ${values.out}; check the directory exists and is writable`);
  }
  const summary = { out: values.out, model, version: values.version, bytes: image.length, devKey: values.key === undefined };
  process.stdout.write(values.json ? `${JSON.stringify(summary)}\n` : `wrote ${values.out}: ${model} ${values.version}, ${image.length} bytes${summary.devKey ? ' (signed with the DEVELOPMENT-ONLY key)' : ''}\n`);
  return 0;
});
