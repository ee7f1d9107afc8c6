/**
 * Picks the file for every requirement of a model from a source: the first candidate the source has
 * (fp16 before fp32 by default; a 404 on the fp16 variant falls back to fp32). A requirement with no
 * candidate present is a MODEL_FILE_NOT_FOUND naming every path tried; when the folder has the weights only as
 * a PyTorch pickle (`.bin`), the error names that file and says how to get safetensors instead.
 */
import { ModelError } from './errors';
import { alternativeFiles, requiredFiles, type ModelKind, type ResolvedFile, type WeightsPrecision } from './files';
import { ONNX_MODELS, isOnnxModelKind } from './onnx-models';
import type { FileStat, ModelSource } from './source';

async function statOrNull(
  source: ModelSource,
  path: string,
  listed: ReadonlySet<string> | null,
): Promise<FileStat | null> {
  if (listed && !listed.has(path)) return null;
  return source.stat(path);
}

function resolved(role: string, path: string, stat: FileStat, weights: boolean): ResolvedFile {
  return {
    role,
    path,
    size: stat.size,
    weights,
    ...(stat.sha256 ? { sha256: stat.sha256 } : {}),
    ...(stat.etag ? { etag: stat.etag } : {}),
  };
}

function describeKind(kind: ModelKind): string {
  if (isOnnxModelKind(kind))
    return `the ${ONNX_MODELS[kind].label} ONNX export (as ${ONNX_MODELS[kind].preset.repo} has it)`;
  return `a diffusers-layout ${kind === 'sd15' ? 'Stable Diffusion 1.5' : 'ControlNet'} model`;
}

export async function resolveModelFiles(
  source: ModelSource,
  kind: ModelKind,
  precision: WeightsPrecision = 'fp16',
): Promise<ResolvedFile[]> {
  const listing = await source.list();
  const listed = listing ? new Set(listing) : null;
  const out: ResolvedFile[] = [];
  const missing: string[] = [];
  const pickles: string[] = [];
  const found = await Promise.all(
    requiredFiles(kind, precision).map(async (req) => {
      for (const path of req.candidates) {
        const stat = await statOrNull(source, path, listed);
        if (stat) return resolved(req.role, path, stat, req.weights);
      }
      missing.push(req.candidates.join(' or '));
      for (const path of req.pickles ?? [])
        if (await statOrNull(source, path, listed)) {
          pickles.push(path);
          break;
        }
      return null;
    }),
  );
  if (pickles.length > 0)
    throw new ModelError(
      'MODEL_FILE_NOT_FOUND',
      `${source.id} has ${pickles.join(', ')} but no .safetensors weights beside ${pickles.length > 1 ? 'them' : 'it'}. PyTorch .bin files are pickles, which this app does not load (they can run code). Use a revision of the model that has .safetensors files, or convert it (diffusers: pipe.save_pretrained(folder, safe_serialization=True)).`,
      { source: source.id, pickle: pickles.join(', '), missing: missing.join('; ') },
    );
  for (const f of found) if (f) out.push(f);
  for (const alt of alternativeFiles(kind)) {
    let chosen: ResolvedFile[] | null = null;
    for (const set of alt.alternatives) {
      const stats = await Promise.all(set.map((p) => statOrNull(source, p, listed)));
      if (stats.every((s) => s !== null)) {
        chosen = set.map((p, i) => resolved(`${alt.role}.${p.split('/').pop()}`, p, stats[i]!, false));
        break;
      }
    }
    if (chosen) out.push(...chosen);
    else missing.push(alt.alternatives.map((s) => s.join(' + ')).join(' or '));
  }
  if (missing.length > 0)
    throw new ModelError(
      'MODEL_FILE_NOT_FOUND',
      `${source.id} is missing ${missing.join('; ')}. Check that it is ${describeKind(kind)} (repo id, revision, folder).`,
      { source: source.id, missing: missing.join('; ') },
    );
  return out;
}
