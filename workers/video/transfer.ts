/** Worker side of the transfer rule (DESIGN §2): frame and MP4 buffers leave the worker by transfer. */
import { Comlink } from '../../src/core/protocol/rpc';
import type { VideoApi } from '../../src/core/protocol/video';

export function transferringVideoApi(api: VideoApi): VideoApi {
  return {
    probe: (source) => api.probe(source),
    async extract(source, options, onProgress) {
      const set = await api.extract(source, options, onProgress);
      return Comlink.transfer(
        set,
        set.frames.map((f) => f.buffer as ArrayBuffer),
      );
    },
    async encode(frames, options, onProgress) {
      const mp4 = await api.encode(frames, options, onProgress);
      return Comlink.transfer(mp4, [mp4.buffer as ArrayBuffer]);
    },
  };
}
