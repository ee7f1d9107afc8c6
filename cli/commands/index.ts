// One line per command; each command lives in its own module and is loaded only when used.
import { registerCommand } from '../main';

void registerCommand;
registerCommand('plan', async () => (await import('./plan')).default);
registerCommand('layout', async () => (await import('./layout')).default);
registerCommand('infer', async () => (await import('./infer')).default);
registerCommand('clip', async () => (await import('./clip')).default);
registerCommand('edit', async () => (await import('./edit')).default);
registerCommand('trajectories', async () => (await import('./trajectories')).default);
registerCommand('segment', async () => (await import('./segment')).default);
registerCommand('condition', async () => (await import('./condition')).default);
