// One line per command; each command lives in its own module and is loaded only when used.
import { registerCommand } from '../main.ts';

void registerCommand;
registerCommand('plan', async () => (await import('./plan.ts')).default);
registerCommand('layout', async () => (await import('./layout.ts')).default);
registerCommand('infer', async () => (await import('./infer.ts')).default);
registerCommand('clip', async () => (await import('./clip.ts')).default);
registerCommand('edit', async () => (await import('./edit.ts')).default);
