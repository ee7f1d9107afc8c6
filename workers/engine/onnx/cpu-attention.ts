/**
 * The CPU AttentionBackend: src/core/attention/reference.ts (plain or ST-Layout-modulated softmax attention,
 * DESIGN §3.4) on the tensors a partitioned network hands over, and the FLATTEN flow attention's oracle
 * (../kernels/flow/reference.ts, DESIGN §3.6). Causal cores (CLIP) are not partitioned.
 */
import { referenceAttention } from '../../../src/core/attention/reference';
import { AppError } from '../../../src/core/protocol/errors';
import { flowAttentionReference } from '../kernels/flow/reference';
import { coreShape, type AttentionBackend } from './runner';

export const cpuAttentionBackend: AttentionBackend = {
  run(core, q, k, v, modulation) {
    if (core.causal)
      throw new AppError(
        'ATTENTION_UNSUPPORTED',
        `attention core ${core.name} is causal; run this network unpartitioned.`,
      );
    return referenceAttention(coreShape(core, q.dims, k.dims), q.data, k.data, v.data, modulation);
  },
  runFlow(_core, shape, flow, q, k, v) {
    return flowAttentionReference(shape, flow.keys, q, k, v);
  },
};
