/** The UI's handle on the engine worker (DESIGN §2): typed by the protocol, errors keep their codes. */
import { Comlink } from '../core/protocol/rpc';
import type { EngineApi, EngineStatus } from '../core/protocol/engine';

export interface EngineClient {
  readonly api: Comlink.Remote<EngineApi>;
  init(onStatus: (s: EngineStatus) => void): Promise<EngineStatus>;
  terminate(): void;
}

export function createEngineClient(): EngineClient {
  const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), {
    type: 'module',
    name: 'engine',
  });
  const api = Comlink.wrap<EngineApi>(worker);
  return {
    api,
    async init(onStatus) {
      await api.onStatusChange(Comlink.proxy(onStatus));
      const status = await api.init();
      onStatus(status);
      return status;
    },
    terminate: () => worker.terminate(),
  };
}
