import type { CliCommand } from './command';
import { EXIT_CANCELLED, EXIT_USER_INPUT, exitCodeFor } from './exit-codes';

/** Sub-commands load lazily so `videograin layout` does not pay for a browser start. */
const COMMANDS: Record<string, () => Promise<CliCommand>> = {};

export function registerCommand(name: string, load: () => Promise<CliCommand>): void {
  COMMANDS[name] = load;
}

async function help(): Promise<string> {
  const lines = ['usage: videograin <command> [options]', '', 'commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(8)} ${(await load()).summary}`);
  lines.push('', "videograin <command> --help shows a command's options.");
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  await import('./commands/index');
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(await help());
    return name ? 0 : EXIT_USER_INPUT;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`videograin: unknown command "${name}" (try videograin --help)`);
    return EXIT_USER_INPUT;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    // One exit-code convention for every command (./exit-codes.ts): 2 input, 1 environment/model, 130 cancelled.
    const err = e instanceof Error ? e : new Error(String(e));
    const code = exitCodeFor(e);
    const message = err.message.split('\n')[0];
    if (code === EXIT_CANCELLED) console.error(`videograin ${name}: cancelled`);
    else if (code === EXIT_USER_INPUT) console.error(`videograin ${name}: ${message}`);
    else console.error(`videograin ${name}: ${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${message}`);
    if (process.env.VIDEOGRAIN_DEBUG) console.error(err.stack);
    return code;
  }
}
