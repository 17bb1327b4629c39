import { createProgram } from './program.ts';
import { runMain } from './run.ts';
import { version } from '../version.ts';
import { register as registerVerify } from './verify.ts';
import { register as registerVerifySignature } from './verify-signature.ts';
import { register as registerInfo } from './info.ts';
import { register as registerServe } from './serve.ts';
import { register as registerCheck } from './check.ts';
import { register as registerConfig } from './config.ts';
import { register as registerMaskTone } from './mask-tone.ts';
import { register as registerSecure } from './secure.ts';
import { register as registerSpans } from './spans.ts';
import { register as registerFirmware } from './firmware.ts';
import { register as registerLogs } from './logs.ts';
import { register as registerPorts } from './ports.ts';

// One file per command group; each adds its commands to the program.
const registrations: Array<(p: ReturnType<typeof createProgram>) => void> = [
  registerInfo,
  registerVerify,
  registerVerifySignature,
  registerServe,
  registerCheck,
  registerPorts,
  registerConfig,
  registerMaskTone,
  registerSecure,
  registerSpans,
  registerFirmware,
  registerLogs,
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
