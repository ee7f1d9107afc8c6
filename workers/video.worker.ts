import { Comlink } from '../src/core/protocol/rpc';
import { createVideoApi } from './video/api';
import { loadFFmpegCore } from './video/ffmpeg';
import { transferringVideoApi } from './video/transfer';

Comlink.expose(transferringVideoApi(createVideoApi({ loadCore: loadFFmpegCore })));
