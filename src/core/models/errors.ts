/**
 * Error codes of model loading (DESIGN §7: "model files missing / wrong architecture / truncated / malicious
 * header", "storage quota exceeded", "download interrupted"). Every message names the file and says what to do.
 */
import { AppError } from '../protocol/errors';

export type ModelErrorCode =
  | 'MODEL_FILE_NOT_FOUND' // 404: the file is not in the repository / folder
  | 'MODEL_NETWORK' // no response at all: offline, DNS, or the server does not allow CORS
  | 'MODEL_HTTP' // another HTTP status (401/403 gated repo, 5xx)
  | 'MODEL_QUOTA' // not enough browser storage for the download
  | 'MODEL_TRUNCATED' // fewer bytes than announced (Content-Length / HEAD size)
  | 'MODEL_INTEGRITY' // sha256 or size differs from what the source announced
  | 'MODEL_HEADER_INVALID' // safetensors header malformed or inconsistent with the file
  | 'MODEL_ARCHITECTURE' // config.json names an unsupported class / block type
  | 'MODEL_CONFIG_INVALID' // config.json is not JSON or lacks a field
  | 'CANCELLED' // the user cancelled
  | 'MODEL_STORAGE'; // the browser cache failed (OPFS unavailable, write error)

export class ModelError extends AppError<ModelErrorCode> {
  constructor(code: ModelErrorCode, message: string, details?: Readonly<Record<string, string | number | boolean>>) {
    super(code, message, details);
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}
