/**
 * UNet2DConditionModel / ControlNetModel config.json → what the builder needs: the loader's own parser
 * (src/core/models/architecture.ts), so a model that loads also builds (DESIGN §4).
 */
export { parseUNetArch, type UNetArch } from '../../../src/core/models/architecture';
