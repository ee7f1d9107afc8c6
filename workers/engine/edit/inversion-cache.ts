/**
 * Cached DDIM inversions of recent edits (DESIGN §1, §6: a re-edit of the same clip with new prompts skips all
 * inversion work), keyed by src/core/pipeline/inversion-key.ts. CPU memory only; the least recently used entry
 * goes first once `capacity` are held.
 */
import type { EditRequest } from '../../../src/core/protocol/edit';
import type { LoadedModelInfo } from '../../../src/core/protocol/engine';
import { hashFrames, inversionKey } from '../../../src/core/pipeline/inversion-key';
import type { InversionResult } from '../pipeline/invert';
import { conditionToRgba } from './conditions';

export const INVERSION_CACHE_CAPACITY = 2;

export class InversionCache {
  private readonly entries = new Map<string, InversionResult>();

  constructor(private readonly capacity = INVERSION_CACHE_CAPACITY) {}

  /** The entry for `key` (and marks it recently used); undefined when absent. */
  get(key: string): InversionResult | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, inversion: InversionResult): void {
    this.entries.delete(key);
    this.entries.set(key, inversion);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

export interface KeyModels {
  readonly sd: LoadedModelInfo;
  /** The ControlNet that conditions the inversion (none for condition 'none'). */
  readonly controlnet?: LoadedModelInfo;
}

/**
 * The inversion key of a request. The condition is hashed as the ControlNet sees it (the estimated condition
 * frames, quantized to RGBA8: exact for edges and 8-bit images), so equal condition inputs share a key whatever
 * produced them. The ControlNet's identity joins the model id: it conditions the inversion too.
 */
export async function requestInversionKey(
  request: EditRequest,
  models: KeyModels,
  condition: Float32Array | undefined,
): Promise<string> {
  const { width, height, frames, settings } = request;
  const framesHash = await hashFrames({ width, height, frames });
  const conditionHash = condition
    ? await hashFrames({ width, height, frames: conditionToRgba(condition, frames.length, width, height) })
    : '';
  const kind = condition ? settings.condition.kind : 'none';
  const cn = models.controlnet;
  const model = cn && condition ? `${models.sd.id}+controlnet:${cn.id}@${cn.precision}` : models.sd.id;
  const key = await inversionKey({
    framesHash,
    sourcePrompt: request.sourcePrompt,
    condition: { type: kind, scale: condition ? settings.condition.scale : 0, framesHash: conditionHash },
    model: { id: model, revision: '', precision: models.sd.precision },
    inversionSteps: settings.steps,
    encodeWith: settings.encodeWith === 'sample' ? { kind: 'sample', seed: settings.seed } : { kind: 'mean' },
    inverseConvention: 'v0.19',
  });
  return settings.flatten && request.flows ? withFlatten(key, request) : key;
}

const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');

/**
 * FLATTEN (DESIGN §3.6) changes every inverted UNet call: the key then also covers the flatten settings, the
 * flow's dims and values and the seed of the trajectories' conflict choice. Without flatten the key is the
 * plain one, so caches of edits without flow stay valid.
 */
async function withFlatten(key: string, request: EditRequest): Promise<string> {
  const { flatten, seed } = request.settings;
  const flows = request.flows!;
  const flowHash = hex(await crypto.subtle.digest('SHA-256', flows.data.slice().buffer));
  const doc = JSON.stringify({
    key,
    flatten: { resolutions: [...new Set(flatten!.resolutions)].sort((a, b) => a - b), oldQk: flatten!.oldQk },
    flows: { dims: flows.dims, sha256: flowHash },
    trajectorySeed: seed,
  });
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(doc)));
}
