import { createProgram } from './program.ts';
import { runMain } from './run.ts';
import { version } from '../version.ts';
import { register as registerVerify } from './verify.ts';
import { register as registerVerifySignature } from './verify-signature.ts';
import { register as registerInfo } from './info.ts';
import { register as registerServe } from './serve.ts';
import { register as registerCheck } from './check.ts';

// One file per command group; each adds its commands to the program.
const registrations: Array<(p: ReturnType<typeof createProgram>) => void> = [
  registerInfo,
  registerVerify,
  registerVerifySignature,
  registerServe,
  registerCheck,
];

const program = createProgram(
  'dtmfguard',
  'Host software for DTMF-masking appliances: configure, watch and verify.',
  version,
);
for (const register of registrations) register(program);

await runMain(async () => {
  await program.parseAsync(process.argv);
  return (process.exitCode as number | undefined) ?? 0;
});
