/**
 * Opening a model from any source: remote sources are downloaded into the cache first (./download.ts),
 * local folders, dropped files and in-place HTTP sources are validated in place (nothing is copied).
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
  // An in-place HTTP source (the CLI's mounted folders) is read by range like a local folder.
  if (source instanceof HttpModelSource && source.remote) return downloadModel(source, cache, options);
  const files = await resolveModelFiles(source, options.kind, options.precision ?? 'fp16');
  return validateModel(source, options.kind, files, options.signal);
}
