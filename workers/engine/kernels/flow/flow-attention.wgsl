// FLATTEN flow attention (DESIGN §3.6; knightyxp/VideoGrain attention_register.py, the `[h,w] in flatten_res`
// branch): every query token attends to ≤ F keys gathered along its optical-flow trajectory, per head,
//   s_j = q·k_j / √d  (−∞ where the key entry is invalid),  p = softmax(s),  out = Σ_j p_j v_j.
// Q and K are the self-attention's to_q/to_k outputs (old_qk) or its output; V is its output (before to_out).
//
// Layout: Q, K, V, out are [G·T, C] rows (G = CFG halves in the call, T = F·h·w tokens frame-major, C = H·d,
// head h at columns h·d … h·d+d−1, exactly the UNet's [B, N, C] with B = G·F). keys is [T, KPT] u32: the
// token index (inside the same group) of key j of token t, or 0xFFFFFFFF for a masked entry; the same table
// serves every group (the official code stacks one mask for both CFG halves).
//
// Tiling: one invocation per (group, token, head), 64 per workgroup; dispatch is 2-D (x·64 invocations per y
// row) when G·T·H exceeds one dimension's workgroup limit. The ≤ MAX_KEYS scores live in a private array;
// the output is accumulated column by column, so nothing scales with d in registers. Memory: the key table
// (T·KPT·4 bytes = O(F·h·w·F)) and the output; no T×T scores.
//
// Bindings: 0 params (uniform), 1 Q, 2 K, 3 V, 4 keys (read-only storage), 5 out (storage).

const MAX_KEYS: u32 = __MAX_KEYS__u;
const INVALID: u32 = 0xffffffffu;

struct Params {
  tokens: u32,
  keysPerToken: u32,
  heads: u32,
  headDim: u32,
  total: u32,
  rowStride: u32,
  scale: f32,
  pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> keys: array<u32>;
@group(0) @binding(5) var<storage, read_write> outp: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * params.rowStride;
  if (id >= params.total) {
    return;
  }
  let head = id % params.heads;
  let row = id / params.heads; // g·T + token
  let token = row % params.tokens;
  let groupBase = row - token; // g·T
  let d = params.headDim;
  let c = params.heads * d;
  let qBase = row * c + head * d;

  var scores: array<f32, MAX_KEYS>;
  var m = -3.4028234663852886e38;
  for (var j = 0u; j < params.keysPerToken; j++) {
    let key = keys[token * params.keysPerToken + j];
    if (key == INVALID) {
      continue;
    }
    let kBase = (groupBase + key) * c + head * d;
    var dot = 0.0;
    for (var e = 0u; e < d; e++) {
      dot += q[qBase + e] * k[kBase + e];
    }
    let s = dot * params.scale;
    scores[j] = s;
    m = max(m, s);
  }
  var sum = 0.0;
  for (var j = 0u; j < params.keysPerToken; j++) {
    if (keys[token * params.keysPerToken + j] == INVALID) {
      scores[j] = 0.0;
      continue;
    }
    let p = exp(scores[j] - m);
    scores[j] = p;
    sum += p;
  }
  // Position 0 (the token itself) is always valid, so sum ≥ 1.
  let inv = 1.0 / sum;
  for (var e = 0u; e < d; e++) {
    var acc = 0.0;
    for (var j = 0u; j < params.keysPerToken; j++) {
      let key = keys[token * params.keysPerToken + j];
      if (key == INVALID) {
        continue;
      }
      acc += scores[j] * v[(groupBase + key) * c + head * d + e];
    }
    outp[qBase + e] = acc * inv;
  }
}
