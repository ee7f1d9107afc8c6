/**
 * The engine worker's typed API (DESIGN §2): one interface used in-thread, behind the worker and by the CLI.
 * Later capabilities (models, edit) extend it here.
 */
import type { GpuCapabilitiesInfo } from './gpu';

export type EngineStatus =
  | { readonly state: 'starting' }
  | { readonly state: 'ready'; readonly gpu: GpuCapabilitiesInfo; readonly adapterLabel: string }
  | { readonly state: 'unavailable'; readonly code: string; readonly message: string }
  | { readonly state: 'lost'; readonly reason: string; readonly message: string };

export interface EngineApi {
  /** Acquires the GPU device (once) and reports what it can do; never throws — failures are a status. */
  init(): Promise<EngineStatus>;
  /** Registers a callback (a Comlink proxy across the worker boundary) for device loss. */
  onStatusChange(callback: (status: EngineStatus) => void): void;
  /** Bytes in GPU buffers the engine holds right now (0 when idle): tests check that failed runs free memory. */
  gpuBytesInUse(): Promise<number>;
}
