/**
 * Which of the CLI's command modules a run loads. Each module pulls in its part of the product
 * (verify: capture, RTP, DSP, reports; serve: the daemon and its metrics), and through tsx every
 * module costs a transform and a round trip to the loader thread: all of them took 0.47-0.56 s of
 * a run's start, verify's alone 0.11-0.17 s (2026-12-07). So a command loads only its own module;
 * help, no command or an unknown one loads them all, so commander can list and reject as before.
 */
import type { createProgram } from './program.ts';

type Program = ReturnType<typeof createProgram>;
type Registration = (p: Program) => void;

interface CommandGroup {
  /** The top-level commands the module adds. */
  commands: readonly string[];
  load(): Promise<{ register: Registration }>;
}

/** In the order `--help` lists them. */
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  { commands: ['info'], load: () => import('./info.ts') },
  { commands: ['verify'], load: () => import('./verify.ts') },
  { commands: ['verify-signature'], load: () => import('./verify-signature.ts') },
  { commands: ['serve'], load: () => import('./serve.ts') },
  { commands: ['check'], load: () => import('./check.ts') },
  { commands: ['ports'], load: () => import('./ports.ts') },
  { commands: ['config'], load: () => import('./config.ts') },
  { commands: ['mask-tone'], load: () => import('./mask-tone.ts') },
  { commands: ['secure', 'trigger-code'], load: () => import('./secure.ts') },
  { commands: ['spans', 'counters', 'loopback'], load: () => import('./spans.ts') },
  { commands: ['firmware'], load: () => import('./firmware.ts') },
  { commands: ['logs', 'audit'], load: () => import('./logs.ts') },
];

/**
 * The groups to load for these arguments (process.argv without node and the script): the one
 * holding the command, the first word not an option (the program has no option taking a value),
 * or every group when there is none or no group has it.
 */
export function groupsFor(args: readonly string[], groups: readonly CommandGroup[] = COMMAND_GROUPS): readonly CommandGroup[] {
  const word = args.find((a) => !a.startsWith('-'));
  const group = word === undefined ? undefined : groups.find((g) => g.commands.includes(word));
  return group ? [group] : groups;
}

/** Loads the groups these arguments need and adds their commands to `program`. */
export async function registerCommands(program: Program, args: readonly string[]): Promise<void> {
  const modules = await Promise.all(groupsFor(args).map((g) => g.load()));
  for (const m of modules) m.register(program);
}
