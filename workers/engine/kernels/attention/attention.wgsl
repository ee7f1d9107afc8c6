// attention.wgsl — fused (flash-style) attention with exact ST-Layout modulation (DESIGN §3.4, §5).
//
// Computes, for batch item b, head h, query row q (Q [B, Nq, H·d], K/V [Bkv, Nk, H·d], O [B, Nq, H·d],
// channel = h·d + j, tokens frame-major):
//   S_k = q·k_k / √d
//   g   = b mod groups,  a = itemStrength[b] · sizeReg[g·Nq + q],  R_k = (queryBits[g·Nq + q] & keyBits[k]) ≠ 0
//   O   = Σ_k softmax_k((1 − a)·S_k + a·(rowmax − rowmin)·R_k) · v_k      (rowmax/rowmin of the unmodulated S)
// which equals softmax(S + R·a·(rowmax − S) − (1 − R)·a·(S − rowmin))·V exactly (a·rowmin is constant along a row).
// Self-attention: groups = 1, queryBits = keyBits = region bits of the F·h·w tokens.
// Cross-attention run per frame: item b = (cfgHalf, frame) with frame = b mod groups (groups = F), queryBits and
// sizeReg given as [F·Nq], keyBits = text-token bits [77]. Item b reads K/V item b / itemsPerKv (Bkv = B / itemsPerKv).
// a = 0 (an item with itemStrength 0, or the MODULATED = false variant) is plain softmax(QKᵀ/√d)·V, bit for bit.
//
// Tiling: one invocation per query row, BLOCK_Q rows per workgroup; workgroup id = (query tile, head, item).
// Pass 1 (only for items with itemStrength ≠ 0): K tiles → rowmax/rowmin. Pass 2: K/V tiles of BLOCK_K keys staged
// in workgroup memory as f32, online softmax with one rescale per tile. Nothing of size Nq×Nk ever exists.
//
// Bindings (group 0): 0 uniform Params (one chunk of a possibly split call); 1 Q, 2 K, 3 V (read), 4 O (read_write),
// all array<Elem> with Elem = f32, or f16 for the fp16-storage variant (math in f32). MODULATED variant only:
// 5 queryBits u32 [groups·Nq], 6 keyBits u32 [Nk], 7 sizeReg f32 [groups·Nq], 8 itemStrength f32 [B].
// A dispatch covers items [b0, b0 + gridZ) and query rows [q0, q0 + qRows); Q/O/K/V are bound from aligned byte
// offsets and qOffset/kvOffset are the element offsets left over.
// HEAD_DIM, BLOCK_Q, BLOCK_K, Elem, MODULATED and the Params struct are prepended by shader.ts (one source of truth).

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> qIn: array<Elem>;
@group(0) @binding(2) var<storage, read> kIn: array<Elem>;
@group(0) @binding(3) var<storage, read> vIn: array<Elem>;
@group(0) @binding(4) var<storage, read_write> outData: array<Elem>;
//#if MODULATED
@group(0) @binding(5) var<storage, read> queryBits: array<u32>;
@group(0) @binding(6) var<storage, read> keyBits: array<u32>;
@group(0) @binding(7) var<storage, read> sizeReg: array<f32>;
@group(0) @binding(8) var<storage, read> itemStrength: array<f32>;
var<workgroup> bitsTile: array<u32, BLOCK_K>;
var<workgroup> itemA: f32;
//#endif

var<workgroup> kTile: array<f32, BLOCK_K * HEAD_DIM>;
var<workgroup> vTile: array<f32, BLOCK_K * HEAD_DIM>;

const LOWEST: f32 = -3.0e38;

fn stageKeys(kvBase: u32, start: u32, count: u32, lid: u32, withValues: bool) {
  for (var i = lid; i < BLOCK_K * HEAD_DIM; i += BLOCK_Q) {
    let key = i / HEAD_DIM;
    if (key < count) {
      let src = kvBase + (start + key) * params.channels + (i % HEAD_DIM);
      kTile[i] = f32(kIn[src]);
      if (withValues) {
        vTile[i] = f32(vIn[src]);
      }
    }
  }
}

fn score(qv: ptr<function, array<f32, HEAD_DIM>>, key: u32) -> f32 {
  var dot = 0.0;
  let base = key * HEAD_DIM;
  for (var j = 0u; j < HEAD_DIM; j++) {
    dot += (*qv)[j] * kTile[base + j];
  }
  return dot * params.scale;
}

@compute @workgroup_size(BLOCK_Q)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let head = wg.y;
  let item = params.b0 + wg.z;
  let row = wg.x * BLOCK_Q + lid;
  let inRange = row < params.qRows;
  let query = params.q0 + row;
  let qBase = params.qOffset + (wg.z * params.nq + row) * params.channels + head * HEAD_DIM;
  let kvItem = item / params.itemsPerKv - params.kb0;
  let kvBase = params.kvOffset + kvItem * params.nk * params.channels + head * HEAD_DIM;

  var qv: array<f32, HEAD_DIM>;
  if (inRange) {
    for (var j = 0u; j < HEAD_DIM; j++) {
      qv[j] = f32(qIn[qBase + j]);
    }
  }

  var a = 0.0;
  var qBits = 0u;
  var delta = 0.0;
//#if MODULATED
  if (lid == 0u) {
    itemA = itemStrength[item];
  }
  let strength = workgroupUniformLoad(&itemA);
  if (strength != 0.0) {
    if (inRange) {
      let g = (item % params.groups) * params.nq + query;
      a = strength * sizeReg[g];
      qBits = queryBits[g];
    }
    var rowMax = LOWEST;
    var rowMin = -LOWEST;
    for (var start = 0u; start < params.nk; start += BLOCK_K) {
      let count = min(BLOCK_K, params.nk - start);
      stageKeys(kvBase, start, count, lid, false);
      workgroupBarrier();
      if (inRange) {
        for (var key = 0u; key < count; key++) {
          let s = score(&qv, key);
          rowMax = max(rowMax, s);
          rowMin = min(rowMin, s);
        }
      }
      workgroupBarrier();
    }
    delta = a * (rowMax - rowMin);
  }
//#endif
  let keep = 1.0 - a;

  var m = LOWEST;
  var l = 0.0;
  var acc: array<f32, HEAD_DIM>;
  var s: array<f32, BLOCK_K>;
  for (var start = 0u; start < params.nk; start += BLOCK_K) {
    let count = min(BLOCK_K, params.nk - start);
    stageKeys(kvBase, start, count, lid, true);
//#if MODULATED
    for (var i = lid; i < count; i += BLOCK_Q) {
      bitsTile[i] = keyBits[start + i];
    }
//#endif
    workgroupBarrier();
    if (inRange) {
      var tileMax = m;
      for (var key = 0u; key < count; key++) {
        var x = score(&qv, key);
//#if MODULATED
        x = keep * x + select(0.0, delta, (qBits & bitsTile[key]) != 0u);
//#endif
        s[key] = x;
        tileMax = max(tileMax, x);
      }
      let correction = exp(m - tileMax);
      l *= correction;
      for (var j = 0u; j < HEAD_DIM; j++) {
        acc[j] *= correction;
      }
      for (var key = 0u; key < count; key++) {
        let p = exp(s[key] - tileMax);
        l += p;
        let base = key * HEAD_DIM;
        for (var j = 0u; j < HEAD_DIM; j++) {
          acc[j] += p * vTile[base + j];
        }
      }
      m = tileMax;
    }
    workgroupBarrier();
  }

  if (inRange) {
    let inv = 1.0 / l;
    for (var j = 0u; j < HEAD_DIM; j++) {
      outData[qBase + j] = Elem(acc[j] * inv);
    }
  }
}
