import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { playwright } from '@vitest/browser-playwright';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, chromiumPath } from './scripts/chromium.mjs';
// Root configs keep the .ts extension: Vite is moving to loading them natively (no extension resolution).
import { modelServer } from './test/helpers/node/model-server.ts';
import { editCommands } from './test/helpers/node/edit-commands.ts';
import { HUGGING_FACE_ORIGINS, parseModelOrigins, securityHeaders } from './src/core/security/csp.ts';

const repoDir = dirname(fileURLToPath(import.meta.url));
/** Test data (DESIGN §8) lives beside the checkout; only the test tiers read it. */
const sharedDir = process.env.VIDEOGRAIN_SHARED ?? resolve(repoDir, '../shared');

// The app, the workers and both Vitest tiers share this file. The ffmpeg core and the ORT wasm are
// imported with `?url` in the one module that uses each, so Vite serves and bundles them: no CDN.
/**
 * The built app's CSP (src/core/security/csp.ts): model downloads from Hugging Face plus any origins in
 * VIDEOGRAIN_MODEL_ORIGINS (a custom model base URL; the e2e tests' http://models.test).
 */
const appHeaders = securityHeaders({
  modelOrigins: [...HUGGING_FACE_ORIGINS, ...parseModelOrigins(process.env.VIDEOGRAIN_MODEL_ORIGINS)],
});

export default defineConfig({
  plugins: [react()],
  // Relative asset URLs: the CLI serves the built app under a random per-session path (cli/headless/server.ts).
  base: './',
  server: { host: '127.0.0.1', port: 5173, strictPort: false },
  preview: { host: '127.0.0.1', port: 4173, headers: appHeaders },
  worker: { format: 'es' },
  // Pre-bundled up front so browser test runs never re-optimize (and reload) mid-run.
  optimizeDeps: { include: ['comlink'], exclude: ['@ffmpeg/ffmpeg', '@ffmpeg/util', 'onnxruntime-web'] },
  build: {
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 4096,
    // The app, and the page the CLI drives headlessly (DESIGN §9).
    rollupOptions: { input: { main: resolve(repoDir, 'index.html'), headless: resolve(repoDir, 'headless.html') } },
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'node',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        // The model-source tests' fault-injecting model server (routes under /__model-server/).
        plugins: [modelServer({ sharedDir })],
        define: {
          __SHARED_DIR__: JSON.stringify(sharedDir),
          __SHARED_PRESENT__: JSON.stringify(existsSync(resolve(sharedDir, 'DESIGN.md'))),
          __CI__: JSON.stringify(process.env.CI === 'true'),
        },
        server: { fs: { allow: [repoDir, sharedDir] } },
        test: {
          name: 'gpu',
          include: ['test/gpu/**/*.test.ts'],
          // Hang guards, not speed checks: this tier shares two cores with the unit tier (scripts/test-all.mjs),
          // which can double a whole-edit test's time.
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: { executablePath: chromiumPath(), args: CHROMIUM_ARGS },
            }),
            // Browser tests print through the console; keep it.
            instances: [{ browser: 'chromium' }],
            // Node-side work for browser tests (the same edit on the CPU components).
            commands: { ...editCommands },
          },
        },
      },
    ],
  },
});
