import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { DgError, EXIT } from '../errors.ts';
import { checkVerdictSignature, loadVerifyKey } from '../verify/signed-verdict.ts';
import { VERIFY_ERR } from '../verify/verify-errors.ts';

/**
 * `dtmfguard verify-signature FILE [--key PUB]`: checks the Ed25519 signature of a verdict written
 * by `verify --sign` (the JSON document, or the HTML report that embeds it). Exit 0 valid, 1 not
 * valid (altered, unsigned, or signed by another key than --key), 2 unreadable input.
 */

/** The verdict document in a JSON file, or the one an HTML report embeds. */
export function readVerdictDocument(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DgError(VERIFY_ERR.verdictUnreadable, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const embedded = /<script type="application\/json" id="verdict-json">([\s\S]*?)<\/script>/.exec(text);
  const body = embedded ? embedded[1] : text;
  try {
    return JSON.parse(body);
  } catch {
    throw new DgError(VERIFY_ERR.verdictNotJson, `${path} is neither a JSON verdict nor a dtmfguard HTML report: give the file written by verify --json/--out/--report`);
  }
}

export function register(program: Command): void {
  program
    .command('verify-signature')
    .description('Check the Ed25519 signature of a verdict written by "verify --sign" (JSON, or the HTML report embedding it).')
    .argument('<file>', 'the signed verdict: a JSON document (verify --json/--out) or an HTML report (verify --report)')
    .option('--key <public.pem>', 'require the signature to be by this public key (SPKI PEM); without it the embedded key is only reported')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Exit status: 0 valid, 1 not valid (altered after signing, unsigned, or another key than --key), 2 unreadable input.
The public key of a signing key: openssl pkey -in verdict-key.pem -pubout -out verdict-key.pub`)
    .action((file: string, o: { key?: string; json?: boolean }) => {
      const trusted = o.key ? loadVerifyKey(o.key) : undefined;
      const check = checkVerdictSignature(readVerdictDocument(file), trusted);
      if (o.json) process.stdout.write(`${JSON.stringify({ file, ...check }, null, 2)}\n`);
      else if (check.valid) {
        process.stdout.write(`${file}: signature valid, key ${check.keyId}, signed ${check.signedAt}${check.pinned ? ' (the trusted key)' : ' (key not pinned: give --key to require yours)'}\n`);
      } else process.stdout.write(`${file}: signature NOT valid: ${check.reason}\n`);
      process.exitCode = check.valid ? EXIT.ok : EXIT.checkFailed;
    });
}
