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
// An item with itemStrength 0 runs the MODULATED = false variant (the host's choice): plain softmax(QKᵀ/√d)·V.
//
// Tiling (tiles.ts): workgroup = TQ × TK invocations = BQ = TQ·RQ query rows of one (item, head); workgroup id =
// (query tile, head, item). Invocation (tq, tk) holds the register block S[rows tq + TQ·i, keys tk + TK·j]
// (i < RQ, j < RK) and the output block O[rows tq + TQ·i, columns tk + TK·c] (c < DC): the head dim is split
// across the TK invocations of a row. Per tile of BK keys: Q/K chunks of DK columns in workgroup memory → S
// block; row maxima reduced across the TK invocations (subgroup shuffles, or partials in workgroup memory);
// P = exp(S − m) written to the P tile; V tile staged (reusing the K tile's memory); online-softmax rescale and
// O += P·V. Nothing of size Nq×Nk ever exists. With TK = 1 (one row per invocation) there is nothing to reduce
// across invocations (SPLIT_ROWS off). Tiles are TileElem (f16 in the fp16-storage variant); math is f32.
//
// Modulated variant: one pass over the keys in region order (key-order.ts; the same form as rows.ts). R depends on
// the key only through its bits and softmax does not care about key order, so the keys are walked run by run
// (runs of equal bits, slot → key through perm; a key tile never crosses a run) and R is one value per (row, run).
// Each row keeps two online softmaxes of keep·S (keep = 1 − a ≥ 0), one for region keys and one for the others,
// each with its own running max of S, and swaps them at a run where its R changes; the row min of S is tracked on
// the way (reduced across the TK invocations at the end). Then, with Δ = max − min,
//   x_R = keep·max_R + a·Δ,  x_N = keep·max_N,  h = max(x_R, x_N),
//   O = (O_R·e^{x_R−h} + O_N·e^{x_N−h}) / (l_R·e^{x_R−h} + l_N·e^{x_N−h})
// — the fused form's softmax exactly, with no second QKᵀ pass. The host dispatches it only for items with
// itemStrength ≠ 0 (plan.ts `splitByStrength`); the others run the plain variant.
//
// Bindings (group 0): 0 uniform Params (one chunk of a possibly split call); 1 Q, 2 K, 3 V (read), 4 O (read_write),
// all array<Elem> with Elem = f32, or f16 for the fp16-storage variant. MODULATED variant only:
// 5 queryBits u32 [groups·Nq], 6 the key order u32 (key-order.ts: [G, G × (start, end, bits), perm[Nk]]),
// 7 sizeReg f32 [groups·Nq], 8 itemStrength f32 [B].
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
@group(0) @binding(6) var<storage, read> keyOrder: array<u32>;
@group(0) @binding(7) var<storage, read> sizeReg: array<f32>;
@group(0) @binding(8) var<storage, read> itemStrength: array<f32>;
// The run count, then the current run's (start, end, bits), shared through workgroupUniformLoad (loop bounds
// around barriers must be uniform).
var<workgroup> runInfo: vec4u;
// Where perm starts in keyOrder: slot → key index.
var<private> permBase: u32;
//#endif

var<workgroup> qTile: array<TileElem, BQ * DK>;
// K chunk [BK × DK] during the S block, then V [BK × DP].
var<workgroup> kvTile: array<TileElem, BK * DP>;
var<workgroup> pTile: array<f32, BQ * BK>;
//#if SUBGROUPS
//#else
// Per-row partials reduced across the TK invocations of a row: tile maxima, and at the end the modulated row min.
var<workgroup> partMax: array<f32, BQ * TK>;
//#endif

const LOWEST: f32 = -3.0e38;

// The key at slot `slot` of the key walk: region order (key-order.ts) in the modulated variant, else itself.
fn keyAt(slot: u32) -> u32 {
//#if MODULATED
  return keyOrder[permBase + slot];
//#else
  return slot;
//#endif
}

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
      x = TileElem(kIn[kvBase + keyAt(start + key) * params.channels + c]);
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
      x = TileElem(vIn[kvBase + keyAt(start + key) * params.channels + c]);
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

  // Online softmax state per row: running max m, sum l, output block acc. Modulated: the active kind's.
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
  var s: array<array<f32, RK>, RQ>;
//#if MODULATED
  // The idle kind's state (mI, lu, u), the row min of S, and per row a, keep = 1 − a, its bits, which kind is active.
  let strength = itemStrength[item];
  var a: array<f32, RQ>;
  var keep: array<f32, RQ>;
  var qBits: array<u32, RQ>;
  var activeR: array<bool, RQ>;
  var mI: array<f32, RQ>;
  var lu: array<f32, RQ>;
  var mn: array<f32, RQ>;
  var u: array<array<f32, DC>, RQ>;
  for (var i = 0u; i < RQ; i++) {
    // Rows past the end read the last row's maps (valid memory) and write nothing.
    let g = (item % params.groups) * params.nq + params.q0 + row0 + min(tq + TQ * i, rows - 1u);
    a[i] = strength * sizeReg[g];
    keep[i] = 1.0 - a[i];
    qBits[i] = queryBits[g];
    activeR[i] = false;
    mI[i] = LOWEST;
    lu[i] = 0.0;
    mn[i] = -LOWEST;
    for (var c = 0u; c < DC; c++) {
      u[i][c] = 0.0;
    }
  }
  if (lid == 0u) {
    runInfo = vec4u(keyOrder[0], 0u, 0u, 0u);
  }
  let runs = workgroupUniformLoad(&runInfo).x;
  permBase = 1u + 3u * runs;
  for (var run = 0u; run < runs; run++) {
    if (lid == 0u) {
      runInfo = vec4u(keyOrder[1u + 3u * run], keyOrder[2u + 3u * run], keyOrder[3u + 3u * run], 0u);
    }
    let span = workgroupUniformLoad(&runInfo);
    // Rows whose R changes at this run swap the active and idle softmax.
    for (var i = 0u; i < RQ; i++) {
      let wantR = (qBits[i] & span.z) != 0u;
      if (wantR != activeR[i]) {
        activeR[i] = wantR;
        let m0 = m[i];
        m[i] = mI[i];
        mI[i] = m0;
        let l0 = l[i];
        l[i] = lu[i];
        lu[i] = l0;
        for (var c = 0u; c < DC; c++) {
          let x = acc[i][c];
          acc[i][c] = u[i][c];
          u[i][c] = x;
        }
      }
    }
    let end = span.y;
    for (var start = span.x; start < end; start += BK) {
//#else
  {
    let end = params.nk;
    for (var start = 0u; start < end; start += BK) {
//#endif
      let count = min(BK, end - start);
      scoreBlock(&s, qBase, rows, kvBase, start, count, tq, tk, lid);
      stageV(kvBase, start, count, lid);
      var tileMax: array<f32, RQ>;
      for (var i = 0u; i < RQ; i++) {
        tileMax[i] = LOWEST;
      }
      for (var j = 0u; j < RK; j++) {
        if (tk + TK * j < count) {
          for (var i = 0u; i < RQ; i++) {
            tileMax[i] = max(tileMax[i], s[i][j]);
//#if MODULATED
            mn[i] = min(mn[i], s[i][j]);
//#endif
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
        // Modulated: the softmax is over keep·S (keep ≥ 0, so its max is keep·m).
//#if MODULATED
        let correction = exp(keep[i] * (m[i] - mNew));
//#else
        let correction = exp(m[i] - mNew);
//#endif
        m[i] = mNew;
        l[i] *= correction;
        for (var c = 0u; c < DC; c++) {
          acc[i][c] *= correction;
        }
        for (var j = 0u; j < RK; j++) {
          let key = tk + TK * j;
//#if MODULATED
          let p = exp(keep[i] * (s[i][j] - mNew));
//#else
          let p = exp(s[i][j] - mNew);
//#endif
          pTile[(tq + TQ * i) * BK + key] = select(0.0, p, key < count);
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
  }

//#if MODULATED
  // The row min over the TK invocations that share a row (each saw its own keys; the maxima were shared per tile).
//#if SPLIT_ROWS
//#if SUBGROUPS
  for (var off = TK / 2u; off > 0u; off /= 2u) {
    for (var i = 0u; i < RQ; i++) {
      mn[i] = min(mn[i], subgroupShuffleXor(mn[i], off));
    }
  }
//#else
  for (var i = 0u; i < RQ; i++) {
    partMax[(tq + TQ * i) * TK + tk] = mn[i];
  }
  workgroupBarrier();
  for (var i = 0u; i < RQ; i++) {
    for (var t = 0u; t < TK; t++) {
      mn[i] = min(mn[i], partMax[(tq + TQ * i) * TK + t]);
    }
  }
//#endif
//#endif
  // Combine the two kinds with the fused form's bias: x_R = keep·max_R + a·(max − min), x_N = keep·max_N,
  // h = max(x_R, x_N); a kind with no keys (max still LOWEST) weighs 0.
  for (var i = 0u; i < RQ; i++) {
    let mR = select(mI[i], m[i], activeR[i]);
    let mN = select(m[i], mI[i], activeR[i]);
    let aD = a[i] * (max(m[i], mI[i]) - mn[i]);
    let xR = select(LOWEST, keep[i] * mR + aD, mR > LOWEST);
    let xN = select(LOWEST, keep[i] * mN, mN > LOWEST);
    let h = max(xR, xN);
    let wR = exp(xR - h);
    let wN = exp(xN - h);
    let cA = select(wN, wR, activeR[i]);
    let cI = select(wR, wN, activeR[i]);
    l[i] = l[i] * cA + lu[i] * cI;
    for (var c = 0u; c < DC; c++) {
      acc[i][c] = acc[i][c] * cA + u[i][c] * cI;
    }
  }
//#endif

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
