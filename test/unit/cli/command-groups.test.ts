/**
 * The CLI loads only the module of the command it runs (src/cli/command-groups.ts). What matters:
 * the table names exactly the commands each module adds, so no command is ever missing or loaded
 * from the wrong module; and help, no command or an unknown word still load everything.
 */
import { describe, expect, it } from 'vitest';
import { COMMAND_GROUPS, groupsFor } from '../../../src/cli/command-groups.ts';
import { createProgram } from '../../../src/cli/program.ts';

describe('command groups', () => {
  it('each module adds exactly the top-level commands its entry names', async () => {
    for (const g of COMMAND_GROUPS) {
      const program = createProgram('dtmfguard', 'test', '0');
      (await g.load()).register(program);
      expect(program.commands.map((c) => c.name()).sort()).toEqual([...g.commands].sort());
    }
  });

  it('a command loads its own module only, whatever its options and arguments', () => {
    expect(groupsFor(['verify', '--json', 'x.pcap']).map((g) => g.commands)).toEqual([['verify']]);
    expect(groupsFor(['--json', 'verify-signature', 'v.json'])).toEqual([COMMAND_GROUPS.find((g) => g.commands.includes('verify-signature'))]);
    expect(groupsFor(['audit', 'verify'])).toEqual([COMMAND_GROUPS.find((g) => g.commands.includes('logs'))]);
    for (const g of COMMAND_GROUPS) for (const c of g.commands) expect(groupsFor([c, '--help'])).toEqual([g]);
  });

  it('help, the version, no command and an unknown word load every module', () => {
    for (const args of [[], ['--help'], ['-V'], ['help', 'verify'], ['verfy', 'x.pcap']]) expect(groupsFor(args)).toBe(COMMAND_GROUPS);
  });
});
