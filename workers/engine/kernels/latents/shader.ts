/**
 * Builds the WGSL of the latent kernels (the element-wise step arithmetic between network calls, DESIGN §3.2,
 * §3.5) from their .wgsl files. Generated here, so TS and WGSL share one definition: the workgroup size, each
 * kernel's Params struct (field order and types; packed by `packParams`), the index of an element in the 2-D
 * dispatch grid (./grid.ts) and the preview's RGB factors (src/core/latents/preview.ts).
 * `//#if NAME` / `//#else` / `//#endif` lines select variant code (the attention kernels' preprocessor).
 */
import { SD15_LATENT_RGB_BIAS, SD15_LATENT_RGB_FACTORS } from '../../../../src/core/latents/preview';
import { preprocess } from '../attention/shader';
import blendWgsl from './blend.wgsl?raw';
import cfgWgsl from './cfg.wgsl?raw';
import ddimStepWgsl from './ddim-step.wgsl?raw';
import previewWgsl from './preview.wgsl?raw';
import scaleWgsl from './scale.wgsl?raw';

/** Invocations per workgroup, one element each (the WebGPU default limit is 256). */
export const WORKGROUP_SIZE = 256;

type FieldType = 'u32' | 'f32';

/** Every kernel's Params start with the element count and the grid's width (see `elementIndex`). */
const COMMON_FIELDS = [
  ['count', 'u32'],
  ['gridX', 'u32'],
] as const;

const KERNELS = {
  cfg: { source: cfgWgsl, fields: [['scale', 'f32']], flags: [] },
  ddimStep: {
    source: ddimStepWgsl,
    fields: [
      ['sqrtAlphaSource', 'f32'],
      ['sqrtOneMinusAlphaSource', 'f32'],
      ['sqrtAlphaTarget', 'f32'],
      ['sqrtOneMinusAlphaTarget', 'f32'],
    ],
    flags: ['WITH_X0'],
  },
  blend: {
    source: blendWgsl,
    fields: [
      ['plane', 'u32'],
      ['channels', 'u32'],
      ['sqrtAlpha', 'f32'],
      ['sqrtOneMinusAlpha', 'f32'],
    ],
    flags: ['FRESH_NOISE'],
  },
  scale: { source: scaleWgsl, fields: [['scale', 'f32']], flags: ['POSTERIOR'] },
  preview: { source: previewWgsl, fields: [['base', 'u32']], flags: [] },
} as const satisfies Record<
  string,
  { source: string; fields: readonly (readonly [string, FieldType])[]; flags: readonly string[] }
>;

export type LatentKernel = keyof typeof KERNELS;
type KernelFields<K extends LatentKernel> = (typeof KERNELS)[K]['fields'][number][0] | 'count' | 'gridX';
export type KernelParams<K extends LatentKernel> = Readonly<Record<KernelFields<K>, number>>;
export type KernelFlags<K extends LatentKernel> = Readonly<Record<(typeof KERNELS)[K]['flags'][number], boolean>>;

function fieldsOf(kernel: LatentKernel): readonly (readonly [string, FieldType])[] {
  return [...COMMON_FIELDS, ...KERNELS[kernel].fields];
}

/** Bytes of a kernel's Params struct (scalars only, rounded to 16 as uniform buffers need). */
export function paramsBytes(kernel: LatentKernel): number {
  return Math.ceil((fieldsOf(kernel).length * 4) / 16) * 16;
}

export function paramsStructWgsl(kernel: LatentKernel): string {
  return `struct Params {\n${fieldsOf(kernel)
    .map(([name, type]) => `  ${name}: ${type},`)
    .join('\n')}\n}`;
}

/** Packs one dispatch's params as the kernel's uniform buffer expects them. */
export function packParams<K extends LatentKernel>(kernel: K, values: KernelParams<K>): ArrayBuffer {
  const buffer = new ArrayBuffer(paramsBytes(kernel));
  const u32 = new Uint32Array(buffer);
  const f32 = new Float32Array(buffer);
  fieldsOf(kernel).forEach(([name, type], i) => {
    const v = (values as Readonly<Record<string, number>>)[name];
    if (v === undefined || !Number.isFinite(v)) throw new RangeError(`latent kernel ${kernel}: param ${name} is ${v}`);
    if (type === 'f32') f32[i] = v;
    else u32[i] = v;
  });
  return buffer;
}

/** A WGSL f32 literal (abstract numbers would also do, but a suffix keeps `0` from being an integer). */
const f32Literal = (v: number): string => `${v}f`;

/** The RGB factors of the SD1.5 preview as WGSL constants (one source: src/core/latents/preview.ts). */
function previewConstants(): string {
  const rows = SD15_LATENT_RGB_FACTORS.map((row) => `  vec3f(${row.map(f32Literal).join(', ')}),`);
  return [
    `const RGB_FACTORS = array<vec3f, ${SD15_LATENT_RGB_FACTORS.length}>(\n${rows.join('\n')}\n);`,
    `const RGB_BIAS = vec3f(${SD15_LATENT_RGB_BIAS.map(f32Literal).join(', ')});`,
  ].join('\n');
}

/** The WGSL of one kernel variant (entry point `main`). */
export function latentShaderSource<K extends LatentKernel>(kernel: K, flags: KernelFlags<K>): string {
  const prelude = [
    `const WORKGROUP_SIZE: u32 = ${WORKGROUP_SIZE}u;`,
    paramsStructWgsl(kernel),
    // The element of invocation `lid` of workgroup (wg.x, wg.y) in a gridX-wide grid (./grid.ts).
    'fn elementIndex(wg: vec3u, lid: u32) -> u32 {\n  return (wg.y * params.gridX + wg.x) * WORKGROUP_SIZE + lid;\n}',
    kernel === 'preview' ? previewConstants() : '',
  ].join('\n');
  return `${prelude}\n${preprocess(KERNELS[kernel].source, flags)}`;
}

/** The variant flags of a kernel (names), for pipeline keys and layouts. */
export function kernelFlagNames(kernel: LatentKernel): readonly string[] {
  return KERNELS[kernel].flags;
}
