import { CliUsageError, type CliCommand } from './command.ts';

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
  await import('./commands/index.ts');
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(await help());
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`videograin: unknown command "${name}" (try videograin --help)`);
    return 2;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    const err = e as Error;
    if (err instanceof CliUsageError) {
      console.error(`videograin ${name}: ${err.message}`);
      return 2;
    }
    console.error(
      `videograin ${name}: ${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message.split('\n')[0]}`,
    );
    if (process.env.VIDEOGRAIN_DEBUG) console.error(err.stack);
    return 1;
  }
}
