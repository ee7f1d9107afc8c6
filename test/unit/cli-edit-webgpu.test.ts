/**
 * `videograin edit --backend webgpu` (DESIGN §9): the engine of the app in headless Chromium (software
 * SwiftShader adapter here) against the Node CPU backend on the tiny config of cli-edit.test.ts (cutie_judo,
 * 2 frames, tiny-sd, posterior mean; here 64², 2 steps), both with --save-latents: valid MP4s and latents that
 * agree within stated tolerances. Also the pieces: the session server's read-only mounts (Range, HEAD,
 * If-Range, no path traversal), the request transfer format, and the YAML seed defaults.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decode, encode } from 'fast-png';
import { readAllFloat32 } from '../../src/core/tensors/safetensors';
import { startStaticServer, type StaticServer } from '../../cli/headless/server';
import { defaultSeed, parseVideoGrainConfig } from '../../cli/config/videograin-yaml';
import { CliUsageError } from '../../cli/command';
import { packEditInput, packEditOutput, unpackEditInput, unpackEditOutput } from '../../src/headless/edit-transfer';
import { DEFAULT_EDIT_SETTINGS, type EditRequest } from '../../src/core/protocol/edit';
import { describeShared, REPO_DIR, sharedPath } from '../helpers/node/shared';
import { mp4Tracks } from '../fixtures/video-mp4';
import { chromiumPath } from '../../scripts/chromium.mjs';

function edit(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/videograin.mjs', 'edit', ...args], { cwd: REPO_DIR, encoding: 'utf8' });
  const stderr = r.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('npm warn'));
  return {
    code: r.status,
    stdout: r.stdout.trim(),
    stderr,
    reasons: stderr.filter((l) => l.startsWith('videograin edit:')),
  };
}

describe('session server: read-only mounts like a static host', () => {
  let root: string;
  let server: StaticServer;
  let base: string;
  const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'vg-mount-'));
    mkdirSync(join(root, 'app'));
    writeFileSync(join(root, 'app', 'index.html'), '<p>app</p>');
    writeFileSync(join(root, 'secret.txt'), 'outside the mount');
    mkdirSync(join(root, 'model', 'unet'), { recursive: true });
    writeFileSync(join(root, 'model', 'unet', 'weights.bin'), bytes);
    mkdirSync(join(root, 'tok'));
    writeFileSync(join(root, 'tok', 'vocab.json'), '{}');
    server = await startStaticServer(join(root, 'app'));
    base = server.mount('sd', join(root, 'model'));
    server.mount('sd/tokenizer', join(root, 'tok'));
  });
  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('GET, HEAD, ranges, If-Range', async () => {
    const url = `${base}unet/weights.bin`;
    const full = await fetch(url);
    expect(full.status).toBe(200);
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(new Uint8Array(await full.arrayBuffer())).toEqual(bytes);
    const etag = full.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);

    const head = await fetch(url, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), (await head.arrayBuffer()).byteLength]).toEqual([
      200,
      '100',
      0,
    ]);

    for (const [range, start, end] of [
      ['bytes=10-19', 10, 20],
      ['bytes=90-', 90, 100],
      ['bytes=-5', 95, 100],
      ['bytes=95-1000', 95, 100],
    ] as const) {
      const r = await fetch(url, { headers: { Range: range } });
      expect(r.status, range).toBe(206);
      expect(r.headers.get('content-range'), range).toBe(`bytes ${start}-${end - 1}/100`);
      expect(new Uint8Array(await r.arrayBuffer()), range).toEqual(bytes.slice(start, end));
    }
    const unsatisfiable = await fetch(url, { headers: { Range: 'bytes=100-' } });
    expect([unsatisfiable.status, unsatisfiable.headers.get('content-range')]).toEqual([416, 'bytes */100']);
    // a stale validator gets the whole (changed) file, the current one the range
    const stale = await fetch(url, { headers: { Range: 'bytes=0-9', 'If-Range': '"old"' } });
    expect([stale.status, (await stale.arrayBuffer()).byteLength]).toEqual([200, 100]);
    const fresh = await fetch(url, { headers: { Range: 'bytes=0-9', 'If-Range': etag } });
    expect([fresh.status, (await fresh.arrayBuffer()).byteLength]).toEqual([206, 10]);
  });

  test('overlay mount, missing files, no writes, no way out of a mount', async () => {
    expect(await (await fetch(`${base}tokenizer/vocab.json`)).text()).toBe('{}');
    expect((await fetch(`${base}unet/missing.bin`)).status).toBe(404);
    expect((await fetch(`${base}unet`)).status).toBe(404); // a folder is not a file
    expect((await fetch(`${base}unet/weights.bin`, { method: 'POST', body: 'x' })).status).toBe(405);
    const { port } = new URL(base);
    for (const path of ['../secret.txt', '..%2fsecret.txt', '%2e%2e%2fsecret.txt', 'unet/..%5c..%5csecret.txt']) {
      // raw HTTP so that no URL normalisation happens on the client side
      const status = await new Promise<number>((resolve, reject) => {
        import('node:http').then(({ request }) =>
          request({ host: '127.0.0.1', port, path: `/__videograin/mount/sd/${path}` }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
            .on('error', reject)
            .end(),
        );
      });
      expect(status, path).toBe(404);
    }
    expect(() => server.mount('../x', root)).toThrow();
  });
});

describe('edit transfer format and YAML seed defaults', () => {
  test('request and result round-trip through the raw files', () => {
    const W = 64;
    const H = 64;
    const frame = (v: number) => new Uint8Array(W * H * 4).fill(v);
    const mask = (v: number) => new Uint8Array(W * H).fill(v);
    const request: EditRequest = {
      width: W,
      height: H,
      frames: [frame(1), frame(2)],
      sourcePrompt: 'a',
      targetPrompt: 'b c',
      regions: [
        { name: 'x', prompt: 'b', masks: [mask(3), mask(4)] },
        { name: 'y', prompt: '', masks: [mask(5), mask(6)] },
      ],
      settings: { ...DEFAULT_EDIT_SETTINGS, steps: 3 },
      conditionFrames: [frame(7), frame(8)],
    };
    const { job, bytes } = packEditInput(request, true);
    expect(bytes.length).toBe(2 * W * H * 4 * 2 + 4 * W * H);
    expect(JSON.parse(JSON.stringify(job))).toEqual(job); // plain data for page.evaluate
    expect(unpackEditInput(job, bytes)).toEqual({ ...request, returnLatents: true });

    const n = 2 * 4 * (H / 8) * (W / 8);
    const latents = {
      z0: Float32Array.from({ length: n }, (_, i) => i),
      xT: new Float32Array(n).fill(-1),
      final: new Float32Array(n).fill(0.5),
    };
    const frames = [new Uint8ClampedArray(W * H * 4).fill(9), new Uint8ClampedArray(W * H * 4).fill(10)];
    expect(unpackEditOutput(job, packEditOutput(frames, latents), true)).toEqual({ frames, latents });
    expect(() => unpackEditOutput(job, packEditOutput(frames, undefined), true)).toThrow(/expected/);
  });

  const yaml = (extra: string) => `dataset_config:
    path: frames
    layout_mask_dir: masks
    layout_mask_order: ['a']
editing_config:
    editing_prompts: [['x a', 'a']]
${extra}`;

  test('seed: top-level seed, else sample_seeds[0], else 0; modulated_percentage; bad values are one-line errors', () => {
    const parse = (extra: string) => parseVideoGrainConfig(yaml(extra), '/tmp/c.yaml');
    expect(defaultSeed(parse('    sample_seeds: [7, 8]\nseed: 42\n'))).toEqual({ seed: 42, from: 'seed' });
    expect(defaultSeed(parse('    sample_seeds: [7, 8]\n'))).toEqual({
      seed: 7,
      from: 'editing_config.sample_seeds[0]',
    });
    expect(defaultSeed(parse(''))).toEqual({ seed: 0, from: 'default' });
    expect(parse('    modulated_percentage: 0.3\n').modulatedPercentage).toBe(0.3);
    for (const bad of ['seed: -1\n', 'seed: 1.5\n', '    sample_seeds: []\n', '    modulated_percentage: 2\n'])
      expect(() => parse(bad), bad).toThrow(CliUsageError);
  });

  test('--backend foo: one line, exit 2', () => {
    const r = edit('--backend', 'foo', '--config', 'x.yaml', '--model', 'm', '-o', 'o.mp4');
    expect(r.code).toBe(2);
    expect(r.reasons).toEqual(['videograin edit: --backend must be cpu or webgpu, got "foo"']);
  });
});

describeShared('videograin edit --backend webgpu vs cpu (tiny-sd, cutie_judo)', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vg-edit-webgpu-'));
    const png = decode(readFileSync(sharedPath('clips/cutie_judo/masks/00000.png')));
    const fighters = Uint8Array.from(png.data, (v) => (v === 1 ? 255 : 0));
    for (const [name, data] of [
      ['fighters', fighters],
      ['background', fighters.map((v) => 255 - v)],
    ] as const) {
      mkdirSync(join(dir, 'layout_masks', name), { recursive: true });
      for (const f of [0, 1])
        writeFileSync(
          join(dir, 'layout_masks', name, `${String(f).padStart(5, '0')}.png`),
          encode({ width: png.width, height: png.height, data, channels: 1, depth: 8 }),
        );
    }
    // seed 42 at the top level: the default of --seed (printed in the log line)
    writeFileSync(
      join(dir, 'edit.yaml'),
      `dataset_config:
    path: "${relative(dir, sharedPath('clips/cutie_judo/frames'))}"
    prompt: two judo fighters on a mat
    n_sample_frame: 2
    layout_mask_dir: "layout_masks"
    layout_mask_order: ['fighters', 'background']
editing_config:
    guidance_scale: 7.5
    num_inference_steps: 50
    sample_seeds: [0]
    editing_prompts: [["two judo fighters on a blue mat", "judo fighters", "blue mat"]]
seed: 42
`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('no WebGPU adapter in the browser: one line naming the cause, exit 1', () => {
    // the system Chromium without the flags that enable WebGPU on Linux
    const wrapper = join(dir, 'chromium-without-webgpu.sh');
    writeFileSync(
      wrapper,
      `#!/bin/sh
for a in "$@"; do
  case "$a" in --enable-unsafe-webgpu|--use-webgpu-adapter=*|--enable-features=Vulkan) ;; *) set -- "$@" "$a" ;; esac
  shift
done
exec "${chromiumPath()}" "$@" --disable-features=WebGPU --disable-gpu
`,
    );
    chmodSync(wrapper, 0o755);
    const r = edit(
      ...['--config', join(dir, 'edit.yaml'), '--model', sharedPath('golden/tiny-sd'), '--size', '64'],
      ...['--backend', 'webgpu', '--chromium', wrapper, '-o', join(dir, 'none.mp4')],
    );
    expect(r.code, r.stderr.join('\n')).toBe(1);
    expect(r.reasons, r.stderr.join('\n')).toHaveLength(1);
    expect(r.reasons[0]).toMatch(/WebGPU is not available in headless Chromium \(.+\); use --backend cpu$/);
  }, 120_000);

  test('both backends: MP4 with 2 frames of 64²; WebGPU latents match the CPU ones', () => {
    const latents: Record<string, Map<string, { shape: readonly number[]; data: Float32Array }>> = {};
    for (const backend of ['webgpu', 'cpu']) {
      const out = join(dir, `${backend}.mp4`);
      const lat = join(dir, `${backend}.safetensors`);
      const r = edit(
        ...['--config', join(dir, 'edit.yaml'), '--model', sharedPath('golden/tiny-sd')],
        ...['--encode-with', 'mean', '--steps', '2', '--size', '64', '--backend', backend],
        ...['--save-latents', lat, '-o', out],
      );
      expect(r.code, r.stderr.join('\n')).toBe(0);
      expect(r.stdout).toMatch(/2 frames 64×64/);
      expect(r.stderr.join('\n')).toMatch(/seed 42 \(seed\)/);
      expect(
        r.stderr.some((l) => /^denoise 2\/2/.test(l)),
        r.stderr.join('\n'),
      ).toBe(true);
      if (backend === 'webgpu') expect(r.stderr.some((l) => l.startsWith('GPU adapter: '))).toBe(true);
      const [video, ...others] = mp4Tracks(new Uint8Array(readFileSync(out)));
      expect(others).toHaveLength(0);
      expect(video).toMatchObject({ handler: 'vide', codec: 'avc1', width: 64, height: 64, samples: 2 });
      latents[backend] = readAllFloat32(new Uint8Array(readFileSync(lat)));
    }
    // Tolerances: z0 is one VAE encode (fp32 both sides); xT adds the inversion, `latents` the guided (7.5×)
    // denoising, which amplifies kernel rounding differences. Measured here: see the printed figures.
    const tolerance: Record<string, number> = { z0: 1e-4, xT: 5e-3, latents: 3e-2 };
    const figures: string[] = [];
    for (const [name, tol] of Object.entries(tolerance)) {
      const gpu = latents.webgpu!.get(name)!;
      const cpu = latents.cpu!.get(name)!;
      expect(gpu.shape, name).toEqual([2, 4, 8, 8]);
      expect(cpu.shape, name).toEqual([2, 4, 8, 8]);
      let maxDiff = 0;
      let maxAbs = 0;
      gpu.data.forEach((v, i) => {
        maxDiff = Math.max(maxDiff, Math.abs(v - cpu.data[i]!));
        maxAbs = Math.max(maxAbs, Math.abs(cpu.data[i]!));
      });
      figures.push(`${name}: max|Δ| ${maxDiff.toExponential(2)} (max|cpu| ${maxAbs.toFixed(3)}, tol ${tol})`);
      expect(gpu.data.every(Number.isFinite), name).toBe(true);
      expect(maxAbs, name).toBeGreaterThan(0);
      expect(maxDiff, name).toBeLessThanOrEqual(tol);
    }
    console.log(`webgpu vs cpu latents — ${figures.join('; ')}`);
  }, 420_000);
});
