/**
 * `vsearch start`'s options as commander parses them from the command line, with the command's
 * action replaced by one that records them (the real one starts the whole stack); what they
 * become for the services is wiring.spec.ts's (`overridesFor`).
 */
import { Command } from 'commander';
import { DEFAULT_SAMPLE_SEED, registerCommand } from './start.command';

async function parsedStartOptions(...args: string[]): Promise<Record<string, unknown>> {
  const program = new Command('vsearch').exitOverride();
  registerCommand(program);
  const start = program.commands.find((command) => command.name() === 'start');
  if (!start) throw new Error('no start command registered');
  start.exitOverride().configureOutput({ writeErr: () => undefined });
  let parsed: Record<string, unknown> | undefined;
  start.action((options: Record<string, unknown>) => {
    parsed = options;
  });
  await program.parseAsync(['node', 'vsearch', 'start', ...args]);
  if (!parsed) throw new Error('the start action did not run');
  return parsed;
}

describe('vsearch start options', () => {
  it('turns alt text on with --describe-images, and leaves it to the environment without', async () => {
    expect(await parsedStartOptions('--describe-images')).toEqual({ seed: DEFAULT_SAMPLE_SEED, describeImages: true });
    expect((await parsedStartOptions()).describeImages).toBeUndefined();
  });

  it('takes --describe-images beside the catalog options, and refuses a value for it', async () => {
    expect(await parsedStartOptions('--count', '50', '--describe-images', '--seed', '7')).toEqual({ count: 50, seed: 7, describeImages: true });
    await expect(parsedStartOptions('--describe-images=yes')).rejects.toThrow(/--describe-images/);
  });
});
