/**
 * `npm run bench:video`, node part: native ffmpeg on the same clips and the same command lines as the
 * worker (workers/video/args.ts), when `ffmpeg` is installed; both with its default threading and with
 * `-threads 1` (ffmpeg.wasm's core is single-threaded). Prints a table and, last, one JSON line with the
 * browser figures (BENCH_BROWSER_RESULT), the native ones and the wasm/native ratios.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeArgs, extractArgs } from '../workers/video/args';
import { frameGeometry } from '../workers/video/geometry';

const REPEATS = 3;
const FRAMES = 16;
const SIZE = 512;
const shared = process.env.VIDEOGRAIN_SHARED ?? resolve(import.meta.dirname, '../../shared');

interface BrowserResult {
  loadMs: number;
  extractMs: { two_cats: number; bedroom_two_kids: number };
  encodeMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const browser: BrowserResult | undefined = process.env.BENCH_BROWSER_RESULT
  ? (JSON.parse(readFileSync(process.env.BENCH_BROWSER_RESULT, 'utf8')) as BrowserResult)
  : undefined;

const hasNative = spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' }).status === 0;
const nativeVersion = hasNative
  ? spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' }).stdout.split('\n')[0]
  : undefined;

function timed(args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t = performance.now();
    const r = spawnSync('ffmpeg', ['-nostdin', '-y', '-v', 'error', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
    times.push(performance.now() - t);
  }
  return median(times);
}

interface NativeFigures {
  extractMs: { two_cats: number; bedroom_two_kids: number };
  encodeMs: number;
}

function native(threads: string[]): NativeFigures {
  const dir = mkdtempSync(join(tmpdir(), 'bench-video-'));
  try {
    const extract = (clip: string, stride: number, fps: number, w: number, h: number, out: string) =>
      timed([
        ...threads,
        ...extractArgs({
          input: join(shared, 'clips', clip, 'source.mp4'),
          output: out,
          start: 0,
          frames: FRAMES,
          stride,
          fps,
          geometry: frameGeometry(w, h, 0, { mode: 'square', size: SIZE }),
        }),
      ]);
    const raw = join(dir, 'frames.rgba');
    const cats = extract('two_cats', 1, 8, 512, 512, raw);
    const bedroom = extract('bedroom_two_kids', 2, 30, 960, 540, join(dir, 'bedroom.rgba'));
    const args = encodeArgs({ frames: raw, width: SIZE, height: SIZE, fps: 8, crf: 18, output: join(dir, 'out.mp4') });
    const encode = timed([...threads, ...args.slice(0, -1), ...threads, args.at(-1)!]);
    return { extractMs: { two_cats: cats, bedroom_two_kids: bedroom }, encodeMs: encode };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? a / b : null);
const fmt = (v: number | undefined | null) => (v === undefined || v === null ? '—' : v.toFixed(0));

if (!existsSync(join(shared, 'clips/two_cats/source.mp4'))) {
  console.error(`bench:video needs ${shared}/clips (set VIDEOGRAIN_SHARED)`);
  process.exit(2);
}
const nativeDefault = hasNative ? native([]) : undefined;
const nativeSingle = hasNative ? native(['-threads', '1']) : undefined;
if (!hasNative)
  console.log('native ffmpeg not installed: wasm figures only (apt-get install ffmpeg for the comparison)');
else console.log(nativeVersion);

const rows: [string, number | undefined, number | undefined, number | undefined][] = [
  [
    'extract two_cats 16×512²',
    browser?.extractMs.two_cats,
    nativeDefault?.extractMs.two_cats,
    nativeSingle?.extractMs.two_cats,
  ],
  [
    'extract bedroom 16×512² (stride 2, scale+crop)',
    browser?.extractMs.bedroom_two_kids,
    nativeDefault?.extractMs.bedroom_two_kids,
    nativeSingle?.extractMs.bedroom_two_kids,
  ],
  ['encode 16×512² H.264', browser?.encodeMs, nativeDefault?.encodeMs, nativeSingle?.encodeMs],
];
console.log('| step | ffmpeg.wasm ms | native ms | native -threads 1 ms | wasm/native | wasm/native 1 thread |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [name, wasm, nat, one] of rows) {
  console.log(
    `| ${name} | ${fmt(wasm)} | ${fmt(nat)} | ${fmt(one)} | ${ratio(wasm, nat)?.toFixed(1) ?? '—'} | ${ratio(wasm, one)?.toFixed(1) ?? '—'} |`,
  );
}
console.log(
  JSON.stringify({
    frames: FRAMES,
    size: SIZE,
    wasm: browser ?? null,
    native: nativeDefault ? { ...nativeDefault, version: nativeVersion } : null,
    nativeSingleThread: nativeSingle ?? null,
    ratio: {
      extractTwoCats: ratio(browser?.extractMs.two_cats, nativeDefault?.extractMs.two_cats),
      extractBedroom: ratio(browser?.extractMs.bedroom_two_kids, nativeDefault?.extractMs.bedroom_two_kids),
      encode: ratio(browser?.encodeMs, nativeDefault?.encodeMs),
      extractTwoCatsSingleThread: ratio(browser?.extractMs.two_cats, nativeSingle?.extractMs.two_cats),
      extractBedroomSingleThread: ratio(browser?.extractMs.bedroom_two_kids, nativeSingle?.extractMs.bedroom_two_kids),
      encodeSingleThread: ratio(browser?.encodeMs, nativeSingle?.encodeMs),
    },
  }),
);
