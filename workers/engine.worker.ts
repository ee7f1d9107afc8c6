import { Comlink } from '../src/core/protocol/rpc';
import { createEngineApi } from './engine/api';

Comlink.expose(createEngineApi());
