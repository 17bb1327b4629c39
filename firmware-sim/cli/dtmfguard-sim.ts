import { createProgram } from '../../src/cli/program.ts';
import { runMain } from '../../src/cli/run.ts';
import { version } from '../../src/version.ts';
import { register as registerMask } from './mask.ts';
import { register as registerRelay } from './relay.ts';
import { register as registerAppliance } from './appliance.ts';
import { register as registerFault } from './fault.ts';
import { register as registerTdm } from './tdm.ts';
import { register as registerRun } from './run.ts';

// One file per command group; each adds its commands to the program.
const registrations: Array<(p: ReturnType<typeof createProgram>) => void> = [
  registerRun,
  registerMask,
  registerRelay,
  registerAppliance,
  registerFault,
  registerTdm,
];

const program = createProgram(
  'dtmfguard-sim',
  'Software simulator of the dtmfguard DSP board: offline masking, a simulated appliance, an RTP relay.',
  version,
);
for (const register of registrations) register(program);

await runMain(async () => {
  await program.parseAsync(process.argv);
  return (process.exitCode as number | undefined) ?? 0;
});
