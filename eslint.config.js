// Lint rules, including the boundaries of DESIGN §2: exactly one module imports onnxruntime-web, one imports
// @ffmpeg/*, one calls zustand's `create`; UI code never touches GPU/ffmpeg; workers never import UI code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

/** The single module allowed to import each boundary package. */
export const ONNX_MODULE = 'workers/engine/onnx/ort.ts';
export const FFMPEG_MODULE = 'workers/video/ffmpeg.ts';
export const STORE_MODULE = 'src/state/store.ts';

/** One import style (issue 19): relative TypeScript imports name no extension. */
const tsExtension = {
  regex: '^\\.{1,2}/.*\\.tsx?$',
  message: 'import relative modules without the .ts/.tsx extension',
};
const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns: [...patterns, tsExtension] }] });
const ort = {
  group: ['onnxruntime-web', 'onnxruntime-web/*', 'onnxruntime-node'],
  message: `only ${ONNX_MODULE} imports onnxruntime`,
};
const ffmpeg = { group: ['@ffmpeg/*'], message: `only ${FFMPEG_MODULE} imports @ffmpeg/*` };
const zustand = {
  group: ['zustand', 'zustand/vanilla'],
  importNames: ['create', 'createStore'],
  message: `only ${STORE_MODULE} creates the store`,
};
const uiFromWorkers = {
  group: [
    '**/src/app/*',
    '**/src/features/*',
    '**/src/state/*',
    '**/src/services/*',
    'react',
    'react-dom',
    'konva',
    'react-konva',
  ],
  message: 'workers never import UI code',
};
const frameworksFromCore = {
  group: [
    'react',
    'react-dom',
    'konva',
    'react-konva',
    'zustand',
    '@ffmpeg/*',
    'onnxruntime-web',
    '**/workers/**',
    '**/src/app/*',
    '**/src/features/*',
    '**/src/state/*',
    '**/src/services/*',
  ],
  message: 'src/core is pure domain code',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.tmp/**', '**/*.d.mts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      ...restrict([ort, ffmpeg, zustand]),
    },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
  // Root configs are loaded by Node/Vite natively: their relative imports keep the extension.
  { files: ['*.config.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [ort, ffmpeg, zustand] }] } },
  { files: ['workers/**/*.ts'], rules: restrict([ort, ffmpeg, zustand, uiFromWorkers]) },
  { files: ['src/core/**/*.ts'], rules: restrict([ort, ffmpeg, zustand, frameworksFromCore]) },
  { files: [ONNX_MODULE], rules: restrict([ffmpeg, zustand, uiFromWorkers]) },
  { files: [FFMPEG_MODULE], rules: restrict([ort, zustand, uiFromWorkers]) },
  { files: [STORE_MODULE], rules: restrict([ort, ffmpeg]) },
  {
    files: ['scripts/**/*.mjs', 'bin/**/*.mjs', '*.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  // Node-side onnxruntime for the CPU runner in tests/CLI goes through the same one module.
);
