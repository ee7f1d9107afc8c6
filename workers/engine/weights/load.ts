/**
 * Opening a model from any source: remote sources are downloaded into the cache first (./download.ts),
 * local folders and dropped files are validated in place (nothing is copied).
 */
import type { ModelKind, WeightsPrecision } from '../../../src/core/models/files';
import { resolveModelFiles } from '../../../src/core/models/resolve';
import type { ModelSource } from '../../../src/core/models/source';
import { validateModel, type ValidatedModel } from '../../../src/core/models/validate';
import type { OpfsModelCache } from './cache';
import { downloadModel, type DownloadOptions } from './download';
import { HttpModelSource } from './http-source';

export async function openModel(
  source: ModelSource,
  cache: OpfsModelCache,
  options: DownloadOptions & { readonly kind: ModelKind; readonly precision?: WeightsPrecision },
): Promise<ValidatedModel> {
  if (source instanceof HttpModelSource) return downloadModel(source, cache, options);
  const files = await resolveModelFiles(source, options.kind, options.precision ?? 'fp16');
  return validateModel(source, options.kind, files, options.signal);
}
