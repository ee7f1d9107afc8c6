/**
 * The Content-Security-Policy of the app and the CLI's headless page (issue 13). The app's only network
 * traffic is model downloads, so `connect-src` is the page's own origin plus the chosen model sources:
 * Hugging Face by default (huggingface.co redirects LFS/Xet files to *.huggingface.co / *.hf.co CDNs). A
 * custom model base URL (Models panel → base URL) must be added by whoever serves the app: `vite preview`
 * reads VIDEOGRAIN_MODEL_ORIGINS (space-separated origins, vite.config.ts); a static host sets the same header.
 *
 * - script-src 'self' 'wasm-unsafe-eval': bundles only, no inline script; WebAssembly compilation for
 *   onnxruntime-web and ffmpeg.wasm (no 'unsafe-eval': neither needs JS eval);
 * - worker-src 'self' blob:: the app's module workers (and ffmpeg's), blob: for libraries that wrap one;
 * - img/media blob: and data:: frames, thumbnails and previews are object URLs;
 * - style-src 'unsafe-inline': libraries set inline style attributes (no script runs from CSS);
 * - object-src 'none', base-uri 'self', form-action 'none', frame-ancestors 'none' (header only).
 */

/** Model hosts the app downloads from by default. */
export const HUGGING_FACE_ORIGINS: readonly string[] = [
  'https://huggingface.co',
  'https://*.huggingface.co',
  'https://*.hf.co',
];

export interface CspOptions {
  /** Origins the page may fetch models from, besides its own ('self'). */
  readonly modelOrigins?: readonly string[];
}

/** A valid CSP source expression for an origin (scheme://host[:port], `*.` allowed), or undefined. */
export function cspOrigin(origin: string): string | undefined {
  const m = /^(https?):\/\/(\*\.)?([A-Za-z0-9.-]+)(:\d{1,5})?\/?$/.exec(origin.trim());
  return m ? `${m[1]}://${m[2] ?? ''}${m[3]}${m[4] ?? ''}` : undefined;
}

/** Parses VIDEOGRAIN_MODEL_ORIGINS ("https://a.example http://b.test:8080"); invalid entries are dropped. */
export function parseModelOrigins(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[\s,]+/)
    .map((o) => cspOrigin(o))
    .filter((o): o is string => o !== undefined);
}

export function contentSecurityPolicy(options: CspOptions = {}): string {
  const models = [...new Set(options.modelOrigins ?? HUGGING_FACE_ORIGINS)];
  const directives: Record<string, readonly string[]> = {
    'default-src': ["'self'"],
    'script-src': ["'self'", "'wasm-unsafe-eval'"],
    'worker-src': ["'self'", 'blob:'],
    'connect-src': ["'self'", 'blob:', 'data:', ...models],
    'img-src': ["'self'", 'blob:', 'data:'],
    'media-src': ["'self'", 'blob:', 'data:'],
    'style-src': ["'self'", "'unsafe-inline'"],
    'font-src': ["'self'", 'data:'],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"],
  };
  return Object.entries(directives)
    .map(([k, v]) => `${k} ${v.join(' ')}`)
    .join('; ');
}

/** Headers every response of the app's servers carries (preview, the CLI's server). */
export function securityHeaders(options: CspOptions = {}): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(options),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}
