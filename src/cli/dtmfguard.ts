import { createProgram } from './program.ts';
import { runMain } from './run.ts';
import { version } from '../version.ts';
import { registerCommands } from './command-groups.ts';

const program = createProgram(
  'dtmfguard',
  'Host software for DTMF-masking appliances: configure, watch and verify.',
  version,
);
await registerCommands(program, process.argv.slice(2));

await runMain(async () => {
  await program.parseAsync(process.argv);
  return (process.exitCode as number | undefined) ?? 0;
});
