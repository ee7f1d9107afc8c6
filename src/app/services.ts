/**
 * The UI's long-lived worker clients, created once per page. Features reach the workers only through
 * these (never by importing worker code), so tests can read the same objects through the test hook.
 */
import { createEngineClient, type EngineClient } from '../services/engine-client';
import { createVideoClient, type VideoClient } from '../services/video-client';

let engine: EngineClient | undefined;
let video: VideoClient | undefined;

export const services = {
  engine(): EngineClient {
    engine ??= createEngineClient();
    return engine;
  },
  video(): VideoClient {
    video ??= createVideoClient();
    return video;
  },
};
