/**
 * The engine's one GPUDevice: requested with the adapter's own limits (so large attention buffers fit) and
 * `shader-f16` when the adapter offers it (DESIGN §3.1: fp16 weights/activations on such adapters).
 * Used by the engine worker and by the in-browser test harness alike, so tests run on the same device setup.
 */

import type { GpuCapabilitiesInfo } from '../../../src/core/protocol/gpu';

export type GpuCapabilities = GpuCapabilitiesInfo;
/** The least the engine needs to run SD1.5 at 512² (one 160-dim head tile, 256 MiB activations). */
export const MIN_LIMITS = {
  maxStorageBufferBindingSize: 128 * 1024 * 1024,
  maxBufferSize: 256 * 1024 * 1024,
  maxComputeWorkgroupStorageSize: 16 * 1024,
  maxStorageBuffersPerShaderStage: 8,
} as const;

export type GpuUnavailableReason = 'no-webgpu' | 'no-adapter' | 'limits-too-small' | 'device-request-failed';

export class GpuUnavailableError extends Error {
  override readonly name = 'GpuUnavailableError';
  constructor(
    readonly code: GpuUnavailableReason,
    message: string,
  ) {
    super(message);
  }
}

export interface AcquiredDevice {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  readonly capabilities: GpuCapabilities;
}

function describe(adapter: GPUAdapter, shaderF16: boolean, limits: GPUSupportedLimits): GpuCapabilities {
  const info = adapter.info;
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
    shaderF16,
    limits: {
      maxBufferSize: limits.maxBufferSize,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
    },
  };
}

/** One line naming the adapter, for logs and the status panel. */
export function adapterLabel(c: GpuCapabilities): string {
  const name = [c.vendor, c.architecture, c.device, c.description].filter(Boolean).join(' ') || 'unknown adapter';
  return `${name}${c.isFallbackAdapter ? ' (fallback)' : ''}, f16 ${c.shaderF16 ? 'yes' : 'no'}, max binding ${(
    c.limits.maxStorageBufferBindingSize /
    2 ** 20
  ).toFixed(0)} MiB`;
}

export interface AcquireOptions {
  readonly gpu?: GPU | undefined;
  /** Ask for shader-f16 when offered (default true); tests turn it off to exercise the fp32 path. */
  readonly preferF16?: boolean;
}

export async function acquireDevice(options: AcquireOptions = {}): Promise<AcquiredDevice> {
  const gpu = options.gpu ?? (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu)
    throw new GpuUnavailableError(
      'no-webgpu',
      'This browser has no WebGPU. Use a recent Chrome or Edge (113+), or enable WebGPU in your browser settings.',
    );
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter)
    throw new GpuUnavailableError(
      'no-adapter',
      'WebGPU is present but no GPU adapter was found. Check that hardware acceleration is on and your GPU driver is supported.',
    );
  const tooSmall = (Object.keys(MIN_LIMITS) as (keyof typeof MIN_LIMITS)[]).filter(
    (k) => adapter.limits[k] < MIN_LIMITS[k],
  );
  if (tooSmall.length > 0) {
    throw new GpuUnavailableError(
      'limits-too-small',
      `This GPU's WebGPU limits are too small: ${tooSmall.map((k) => `${k} ${adapter.limits[k]} < ${MIN_LIMITS[k]}`).join(', ')}.`,
    );
  }
  const shaderF16 = (options.preferF16 ?? true) && adapter.features.has('shader-f16');
  const requiredLimits: Record<string, number> = {};
  for (const key of [
    'maxBufferSize',
    'maxStorageBufferBindingSize',
    'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupSizeX',
    'maxComputeWorkgroupSizeY',
    'maxComputeWorkgroupsPerDimension',
    'maxStorageBuffersPerShaderStage',
  ] as const) {
    requiredLimits[key] = adapter.limits[key];
  }
  // `subgroups` where offered: the attention kernels' subgroup variants (kernels/attention) use it.
  const features: GPUFeatureName[] = shaderF16 ? ['shader-f16'] : [];
  if (adapter.features.has('subgroups')) features.push('subgroups' as GPUFeatureName);
  // Subgroup matrices (Chromium experimental, needs subgroups): the subgroup-matrix attention kernel (opt-in).
  const subgroupMatrix = 'chromium-experimental-subgroup-matrix' as GPUFeatureName;
  if (adapter.features.has('subgroups') && adapter.features.has(subgroupMatrix)) features.push(subgroupMatrix);
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredFeatures: features,
      requiredLimits,
    });
  } catch (e) {
    throw new GpuUnavailableError('device-request-failed', `The GPU adapter refused a device: ${(e as Error).message}`);
  }
  return { adapter, device, capabilities: describe(adapter, shaderF16, device.limits) };
}
