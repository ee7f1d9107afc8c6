// attention.wgsl — tiled fused (flash-style) attention with exact ST-Layout modulation (DESIGN §3.4, §5).
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
// Tiling (tiles.ts): workgroup = TQ × TK invocations = BQ = TQ·RQ query rows of one (item, head); workgroup id =
// (query tile, head, item). Invocation (tq, tk) holds the register block S[rows tq + TQ·i, keys tk + TK·j]
// (i < RQ, j < RK) and the output block O[rows tq + TQ·i, columns tk + TK·c] (c < DC): the head dim is split
// across the TK invocations of a row. Per tile of BK keys: Q/K chunks of DK columns in workgroup memory → S
// block; row maxima reduced across the TK invocations (subgroup shuffles, or partials in workgroup memory);
// P = exp(S − m) written to the P tile; V tile staged (reusing the K tile's memory); online-softmax rescale and
// O += P·V. Pass 1 (only for items with itemStrength ≠ 0) runs the S blocks alone for rowmax/rowmin.
// Nothing of size Nq×Nk ever exists. With TK = 1 (one row per invocation, the software-adapter shape) there is
// nothing to reduce across invocations (SPLIT_ROWS off). Tiles are TileElem (f16 in the fp16-storage variant); math is f32.
//
// Bindings (group 0): 0 uniform Params (one chunk of a possibly split call); 1 Q, 2 K, 3 V (read), 4 O (read_write),
// all array<Elem> with Elem = f32, or f16 for the fp16-storage variant. MODULATED variant only:
// 5 queryBits u32 [groups·Nq], 6 keyBits u32 [Nk], 7 sizeReg f32 [groups·Nq], 8 itemStrength f32 [B].
// A dispatch covers items [b0, b0 + gridZ) and query rows [q0, q0 + qRows); Q/O/K/V are bound from aligned byte
// offsets and qOffset/kvOffset are the element offsets left over.
// HEAD_DIM, TQ, TK, RQ, RK, DK, DC, DP, BQ, BK, THREADS, Elem, TileElem, the flags and the Params struct are
// prepended by shader.ts (one source of truth: tiles.ts).
// Tiles with TK = 1 and DK = d or 4 (d % 4 = 0) do not use this file: shader.ts emits the row-register kernel
// (rows.ts: whole rows per invocation in vec4 registers, no workgroup memory), same bindings and dispatch.

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
var<workgroup> itemA: f32;
//#endif

var<workgroup> qTile: array<TileElem, BQ * DK>;
// K chunk [BK × DK] during the S block, then V [BK × DP].
var<workgroup> kvTile: array<TileElem, BK * DP>;
var<workgroup> pTile: array<f32, BQ * BK>;
//#if SUBGROUPS
//#else
var<workgroup> partMax: array<f32, BQ * TK>;
//#if MODULATED
var<workgroup> partMin: array<f32, BQ * TK>;
//#endif
//#endif

const LOWEST: f32 = -3.0e38;

fn stageQ(qBase: u32, rows: u32, d0: u32, lid: u32) {
  for (var i = lid; i < BQ * DK; i += THREADS) {
    let r = i / DK;
    let c = d0 + i % DK;
    var x = TileElem(0.0);
    if (r < rows && c < HEAD_DIM) {
      x = TileElem(qIn[qBase + r * params.channels + c]);
    }
    qTile[i] = x;
  }
}

fn stageK(kvBase: u32, start: u32, count: u32, d0: u32, lid: u32) {
  for (var i = lid; i < BK * DK; i += THREADS) {
    let key = i / DK;
    let c = d0 + i % DK;
    var x = TileElem(0.0);
    if (key < count && c < HEAD_DIM) {
      x = TileElem(kIn[kvBase + (start + key) * params.channels + c]);
    }
    kvTile[i] = x;
  }
}

fn stageV(kvBase: u32, start: u32, count: u32, lid: u32) {
  for (var i = lid; i < BK * DP; i += THREADS) {
    let key = i / DP;
    let c = i % DP;
    var x = TileElem(0.0);
    if (key < count && c < HEAD_DIM) {
      x = TileElem(vIn[kvBase + (start + key) * params.channels + c]);
    }
    kvTile[i] = x;
  }
}

// The scaled S block of one key tile (keys ≥ count score 0; callers mask them). Ends with a barrier, so the
// K/V tile is free for the caller to overwrite.
fn scoreBlock(
  s: ptr<function, array<array<f32, RK>, RQ>>,
  qBase: u32,
  rows: u32,
  kvBase: u32,
  start: u32,
  count: u32,
  tq: u32,
  tk: u32,
  lid: u32,
) {
  for (var i = 0u; i < RQ; i++) {
    for (var j = 0u; j < RK; j++) {
      (*s)[i][j] = 0.0;
    }
  }
  for (var d0 = 0u; d0 < HEAD_DIM; d0 += DK) {
//#if Q_RESIDENT
//#else
    stageQ(qBase, rows, d0, lid);
//#endif
    stageK(kvBase, start, count, d0, lid);
    workgroupBarrier();
    for (var c = 0u; c < DK; c++) {
      var qv: array<f32, RQ>;
      for (var i = 0u; i < RQ; i++) {
        qv[i] = f32(qTile[(tq + TQ * i) * DK + c]);
      }
      for (var j = 0u; j < RK; j++) {
        let kv = f32(kvTile[(tk + TK * j) * DK + c]);
        for (var i = 0u; i < RQ; i++) {
          (*s)[i][j] += qv[i] * kv;
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < RQ; i++) {
    for (var j = 0u; j < RK; j++) {
      (*s)[i][j] *= params.scale;
    }
  }
}

@compute @workgroup_size(THREADS)
fn main(
  @builtin(workgroup_id) wg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let tq = lid / TK;
  let tk = lid % TK;
  let head = wg.y;
  let item = params.b0 + wg.z;
  let row0 = wg.x * BQ;
  let rows = min(BQ, params.qRows - row0);
  let qBase = params.qOffset + (wg.z * params.nq + row0) * params.channels + head * HEAD_DIM;
  let kvItem = item / params.itemsPerKv - params.kb0;
  let kvBase = params.kvOffset + kvItem * params.nk * params.channels + head * HEAD_DIM;

//#if Q_RESIDENT
  // Whole Q rows stay in workgroup memory (DK = d); the first barrier of scoreBlock orders this.
  stageQ(qBase, rows, 0u, lid);
//#endif

  var keep: array<f32, RQ>;
  var bias: array<f32, RQ>;
  var qBits: array<u32, RQ>;
  for (var i = 0u; i < RQ; i++) {
    keep[i] = 1.0;
    bias[i] = 0.0;
    qBits[i] = 0u;
  }
  var s: array<array<f32, RK>, RQ>;
//#if MODULATED
  if (lid == 0u) {
    itemA = itemStrength[item];
  }
  let strength = workgroupUniformLoad(&itemA);
  if (strength != 0.0) {
    var a: array<f32, RQ>;
    var mx: array<f32, RQ>;
    var mn: array<f32, RQ>;
    for (var i = 0u; i < RQ; i++) {
      a[i] = 0.0;
      mx[i] = LOWEST;
      mn[i] = -LOWEST;
      let r = tq + TQ * i;
      if (r < rows) {
        let g = (item % params.groups) * params.nq + params.q0 + row0 + r;
        a[i] = strength * sizeReg[g];
        qBits[i] = queryBits[g];
      }
    }
    for (var start = 0u; start < params.nk; start += BK) {
      let count = min(BK, params.nk - start);
      scoreBlock(&s, qBase, rows, kvBase, start, count, tq, tk, lid);
      for (var j = 0u; j < RK; j++) {
        if (tk + TK * j < count) {
          for (var i = 0u; i < RQ; i++) {
            mx[i] = max(mx[i], s[i][j]);
            mn[i] = min(mn[i], s[i][j]);
          }
        }
      }
    }
//#if SPLIT_ROWS
//#if SUBGROUPS
    for (var off = TK / 2u; off > 0u; off /= 2u) {
      for (var i = 0u; i < RQ; i++) {
        mx[i] = max(mx[i], subgroupShuffleXor(mx[i], off));
        mn[i] = min(mn[i], subgroupShuffleXor(mn[i], off));
      }
    }
//#else
    for (var i = 0u; i < RQ; i++) {
      partMax[(tq + TQ * i) * TK + tk] = mx[i];
      partMin[(tq + TQ * i) * TK + tk] = mn[i];
    }
    workgroupBarrier();
    for (var i = 0u; i < RQ; i++) {
      for (var t = 0u; t < TK; t++) {
        mx[i] = max(mx[i], partMax[(tq + TQ * i) * TK + t]);
        mn[i] = min(mn[i], partMin[(tq + TQ * i) * TK + t]);
      }
    }
    workgroupBarrier();
//#endif
//#endif
    for (var i = 0u; i < RQ; i++) {
      keep[i] = 1.0 - a[i];
      bias[i] = a[i] * (mx[i] - mn[i]);
    }
  }
//#endif

  var m: array<f32, RQ>;
  var l: array<f32, RQ>;
  var acc: array<array<f32, DC>, RQ>;
  for (var i = 0u; i < RQ; i++) {
    m[i] = LOWEST;
    l[i] = 0.0;
    for (var c = 0u; c < DC; c++) {
      acc[i][c] = 0.0;
    }
  }
  for (var start = 0u; start < params.nk; start += BK) {
    let count = min(BK, params.nk - start);
    scoreBlock(&s, qBase, rows, kvBase, start, count, tq, tk, lid);
    stageV(kvBase, start, count, lid);
    var tileMax: array<f32, RQ>;
    for (var i = 0u; i < RQ; i++) {
      tileMax[i] = LOWEST;
    }
    for (var j = 0u; j < RK; j++) {
      let key = tk + TK * j;
      if (key < count) {
//#if MODULATED
        let kBits = keyBits[start + key];
//#endif
        for (var i = 0u; i < RQ; i++) {
          var x = s[i][j];
//#if MODULATED
          x = keep[i] * x + select(0.0, bias[i], (qBits[i] & kBits) != 0u);
//#endif
          s[i][j] = x;
          tileMax[i] = max(tileMax[i], x);
        }
      }
    }
//#if SPLIT_ROWS
//#if SUBGROUPS
    for (var off = TK / 2u; off > 0u; off /= 2u) {
      for (var i = 0u; i < RQ; i++) {
        tileMax[i] = max(tileMax[i], subgroupShuffleXor(tileMax[i], off));
      }
    }
//#else
    for (var i = 0u; i < RQ; i++) {
      partMax[(tq + TQ * i) * TK + tk] = tileMax[i];
    }
    workgroupBarrier();
    for (var i = 0u; i < RQ; i++) {
      for (var t = 0u; t < TK; t++) {
        tileMax[i] = max(tileMax[i], partMax[(tq + TQ * i) * TK + t]);
      }
    }
//#endif
//#endif
    for (var i = 0u; i < RQ; i++) {
      let mNew = max(m[i], tileMax[i]);
      let correction = exp(m[i] - mNew);
      m[i] = mNew;
      l[i] *= correction;
      for (var c = 0u; c < DC; c++) {
        acc[i][c] *= correction;
      }
      for (var j = 0u; j < RK; j++) {
        let key = tk + TK * j;
        pTile[(tq + TQ * i) * BK + key] = select(0.0, exp(s[i][j] - mNew), key < count);
      }
    }
    workgroupBarrier();
    for (var key = 0u; key < count; key++) {
      var vv: array<f32, DC>;
      for (var c = 0u; c < DC; c++) {
        vv[c] = f32(kvTile[key * DP + tk + TK * c]);
      }
      for (var i = 0u; i < RQ; i++) {
        let p = pTile[(tq + TQ * i) * BK + key];
        l[i] += p;
        for (var c = 0u; c < DC; c++) {
          acc[i][c] += p * vv[c];
        }
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < RQ; i++) {
    let r = tq + TQ * i;
    if (r < rows) {
      let inv = 1.0 / l[i];
      for (var c = 0u; c < DC; c++) {
        let col = tk + TK * c;
        if (col < HEAD_DIM) {
          outData[qBase + r * params.channels + col] = Elem(acc[i][c] * inv);
        }
      }
    }
  }
}
