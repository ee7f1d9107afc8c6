#!/usr/bin/env node
// The `videograin` CLI (DESIGN §9). TypeScript sources run through tsx, so no separate build step is needed.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
