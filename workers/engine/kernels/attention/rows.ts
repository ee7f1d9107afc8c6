/**
 * WGSL generator of the row-register attention kernel: the TK = 1 tile shape (tiles.ts `isRowKernel`), chosen on
 * software adapters (SwiftShader) and offered to the autotuner everywhere. Same formula, bindings, Params and
 * dispatch as attention.wgsl (its header; DESIGN §3.4 fused form):
 *   S_k = q·k_k / √d,  x_k = (1 − a)·S_k + a·(rowmax − rowmin)·R_k,  O = Σ_k softmax_k(x_k)·v_k
 * with a = itemStrength[b]·sizeReg[g·Nq + q] and R_k = (queryBits & keyBits[k]) ≠ 0; a = 0 is plain attention.
 *
 * Shape: a workgroup of TQ invocations owns BQ = TQ·RQ query rows of one (item, head); invocation t owns rows
 * t + TQ·i (i < RQ) with the whole head dim in vec4 registers: q and the output accumulator are RQ × d/4 vec4
 * (named variables, fully unrolled here, so no compiler has to promote arrays). Keys are streamed straight from
 * the storage buffers in blocks of RK (all invocations read the same key: one broadcast load feeds RQ rows):
 * per block, RK·RQ scores from vec4 dot products, one online-softmax rescale per row, then O += P·V with vec4
 * FMAs. No workgroup memory and no barriers — on a CPU rasterizer a barrier switches every SIMD group, and
 * workgroup memory is plain memory behind extra bounds checks, so the fastest shape is the one with the most
 * arithmetic per load in registers.
 * Modulated attention is one pass over the keys in region order (key-order.ts; modulatedPass below): R is constant
 * over each run of keys with equal bits, so each row keeps two online softmaxes, one for region keys and one for
 * the others, swapped at run boundaries, and combines them with the fused form's bias at the end — the exact
 * rowmax/rowmin come out of the same pass. Per score it costs a min and a multiply more than the plain pass, per
 * run a swap; and on SwiftShader one wasted block per run, because its loops run the body once more with every lane
 * masked off after the last iteration (the exit test follows the body), so a loop entered per run wastes runs/blocks:
 * 7 runs over 64 blocks at N = 256, 256 blocks at N = 1024, under 1% at SD1.5's real sizes. Measured (bench:attention,
 * SwiftShader): 1.07–1.08 / 1.17–1.20 / 0.85–1.02 × plain at d = 40 / 80 / 160 (N 1024 / 512 / 1024, two runs;
 * 1.18–1.39 at d = 160 with N = 256), against 1.25–1.45 for the earlier two kernels (a stats pass of QKᵀ, then an
 * apply pass). Not kept (same-page A/Bs at d = 160, N = 256): the idle accumulator in the row's own output slot
 * instead of registers (2.3 against 1.58 × plain), bottom-tested loops that SwiftShader leaves without the masked
 * extra body (1.57–1.65 against 1.43–1.54), 2 rows per invocation (1.49 against 1.47). The same one-run kernel
 * measured 1.15–1.58 × plain across page loads, so finer attributions of the per-run cost are within that noise. It runs only on items
 * with itemStrength ≠ 0: the host dispatches the plain kernel for the others (plan.ts keeps them in separate
 * chunks). No branches, not even uniform ones: SwiftShader runs both sides of every branch under lane masks (it never
 * skips one), so a uniformly false branch around P·V costs the P·V and the masking.
 * Subgroup variant (`subgroups`, RK and TQ multiples of ROW_SUBGROUP = 4): lane l of each 4 loads key
 * start + l and subgroupBroadcast hands its vec4s to the other lanes — a quarter of the K/V loads (on
 * SwiftShader a load of a non-provably-uniform address is a per-lane gather).
 *
 * Bindings (group 0) as attention.wgsl, with Q/K/V/O read as array<vec4<Elem>> (needs d % 4 = 0; the element
 * offsets in Params are then multiples of 4): 0 Params, 1 Q, 2 K, 3 V, 4 O; modulated: 5 queryBits, 6 the key order
 * (key-order.ts; where attention.wgsl binds keyBits), 7 sizeReg, 8 itemStrength.
 * Elem = f32, or f16 storage (math in f32).
 */
import type { StorageType } from './tiles';

export interface RowKernelConfig {
  readonly headDim: number;
  readonly storage: StorageType;
  readonly modulated: boolean;
  /** Invocations per workgroup, rows per invocation, keys per block. */
  readonly tq: number;
  readonly rq: number;
  readonly rk: number;
  /**
   * Head-dim loop at run time over q/O rows held in function arrays (code size independent of d: shorter
   * compiles) instead of fully unrolled named registers.
   */
  readonly loopD?: boolean;
  /**
   * K/V broadcast through subgroups (needs RK and TQ multiples of ROW_SUBGROUP and an adapter whose subgroups
   * have at least ROW_SUBGROUP lanes): lane l of each group of ROW_SUBGROUP lanes loads key start + l and
   * subgroupBroadcast hands it to the others, one load per ROW_SUBGROUP keys instead of one per key.
   */
  readonly subgroups?: boolean;
  /** The Params struct (shader.ts), passed in to avoid an import cycle. */
  readonly paramsStruct: string;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * Lanes that share K/V loads in the subgroup variant. 4 = SwiftShader's subgroup size and at most any GPU's
 * minimum (NVIDIA/Apple/AMD 32+, Intel 8+): on wider subgroups each group of 4 lanes loads the same 4 keys.
 */
export const ROW_SUBGROUP = 4;

/** Whether the row kernel's subgroup variant fits these tiles and the adapter's smallest subgroup. */
export function rowSubgroupsFit(t: { tq: number; rk: number }, subgroupMinSize: number): boolean {
  return subgroupMinSize >= ROW_SUBGROUP && t.rk % ROW_SUBGROUP === 0 && t.tq % ROW_SUBGROUP === 0;
}

export function rowKernelSource(c: RowKernelConfig): string {
  const { headDim: d, tq, rq, rk, modulated } = c;
  if (d % 4 !== 0) throw new Error(`row attention kernel needs a head dim divisible by 4, got ${d}`);
  const dv = d / 4;
  const R = range(rq);
  const K = range(rk);
  const V = range(dv);
  const lines: string[] = [];
  const emit = (indent: number, ...ls: string[]): void => {
    for (const l of ls) lines.push(' '.repeat(indent) + l);
  };

  const loopD = !!c.loopD;
  const sg = !!c.subgroups;
  if (sg && !rowSubgroupsFit({ tq, rk }, ROW_SUBGROUP))
    throw new Error(`row attention subgroup variant needs TQ and RK multiples of ${ROW_SUBGROUP}, got ${tq}, ${rk}`);
  // Key j of a block comes from lane j % SG of load group ⌊j / SG⌋ (subgroup variant), else its own load.
  const groups = range(sg ? rk / ROW_SUBGROUP : 0);
  // Modulated: keys in region order, slot → key through perm (key-order.ts), bounded by the run's end.
  const keyIndex = (slot: string): string =>
    modulated ? `keyOrder[permBase + min(${slot}, runEnd - 1u)]` : `min(${slot}, params.nk - 1u)`;
  const keyBases = (indent: number): void => {
    if (sg)
      for (const g of groups)
        emit(indent, `let kl${g} = kvBase + ${keyIndex(`start + ${g * ROW_SUBGROUP}u + lane`)} * chV;`);
    else for (const j of K) emit(indent, `let kb${j} = kvBase + ${keyIndex(`start + ${j}u`)} * chV;`);
  };
  /** `let {name}{j} = <key j's vec4 at offset>` for every key j of the block, from `buf`. */
  const loadKeys = (indent: number, buf: string, name: string, offset: string): void => {
    if (!sg) {
      for (const j of K) emit(indent, `let ${name}${j} = vec4f(${buf}[kb${j} + ${offset}]);`);
      return;
    }
    for (const g of groups) emit(indent, `let ${name}L${g} = vec4f(${buf}[kl${g} + ${offset}]);`);
    for (const j of K)
      emit(
        indent,
        `let ${name}${j} = subgroupBroadcast(${name}L${Math.floor(j / ROW_SUBGROUP)}, ${j % ROW_SUBGROUP}u);`,
      );
  };
  // Scores s{i}_{j} of the block's keys (q is pre-scaled). Slots past the end (nk, or the run's end) repeat the last
  // key: callers mask them out of P; max/min need no mask, as a repeated key cannot change them.
  const scoreBlock = (indent: number): void => {
    if (loopD) {
      keyBases(indent);
      for (const i of R) for (const j of K) emit(indent, `var t${i}_${j} = vec4f(0.0);`);
      emit(indent, `for (var c = 0u; c < ${dv}u; c++) {`);
      loadKeys(indent + 2, 'kIn', 'k', 'c');
      for (const i of R) {
        emit(indent + 2, `let qc${i} = q${i}[c];`);
        for (const j of K) emit(indent + 2, `t${i}_${j} += qc${i} * k${j};`);
      }
      emit(indent, '}');
      for (const j of K)
        for (const i of R)
          emit(indent, `let s${i}_${j} = (t${i}_${j}.x + t${i}_${j}.y + t${i}_${j}.z + t${i}_${j}.w);`);
      return;
    }
    keyBases(indent);
    if (sg) {
      // Per head-dim vec4: one load per lane, broadcast to the block's keys.
      for (const i of R) for (const j of K) emit(indent, `var t${i}_${j} = vec4f(0.0);`);
      for (const v of V) {
        emit(indent, '{');
        loadKeys(indent + 2, 'kIn', 'k', `${v}u`);
        for (const j of K) for (const i of R) emit(indent + 2, `t${i}_${j} += q${i}_${v} * k${j};`);
        emit(indent, '}');
      }
      for (const j of K)
        for (const i of R)
          emit(indent, `let s${i}_${j} = (t${i}_${j}.x + t${i}_${j}.y + t${i}_${j}.z + t${i}_${j}.w);`);
      return;
    }
    for (const j of K) {
      for (const i of R) emit(indent, `var t${i}_${j} = vec4f(0.0);`);
      for (const v of V) {
        emit(indent, `{ let kv = vec4f(kIn[kb${j} + ${v}u]);`);
        for (const i of R) emit(indent + 2, `t${i}_${j} += q${i}_${v} * kv;`);
        emit(indent, '}');
      }
      for (const i of R) emit(indent, `let s${i}_${j} = (t${i}_${j}.x + t${i}_${j}.y + t${i}_${j}.z + t${i}_${j}.w);`);
    }
  };

  // O += Σ_j p{i}_{j}·v_j, after O *= corr{i} when `rescale` (online softmax).
  const accumulatePV = (indent: number, rescale: boolean): void => {
    if (loopD) {
      emit(indent, `for (var c = 0u; c < ${dv}u; c++) {`);
      loadKeys(indent + 2, 'vIn', 'v', 'c');
      for (const i of R) {
        const o = rescale ? `o${i}[c] * corr${i}` : `o${i}[c]`;
        emit(indent + 2, `o${i}[c] = ${o} + ${K.map((j) => `p${i}_${j} * v${j}`).join(' + ')};`);
      }
      emit(indent, '}');
      return;
    }
    if (rescale) for (const i of R) for (const v of V) emit(indent, `o${i}_${v} *= corr${i};`);
    if (sg) {
      for (const v of V) {
        emit(indent, '{');
        loadKeys(indent + 2, 'vIn', 'w', `${v}u`);
        for (const j of K) for (const i of R) emit(indent + 2, `o${i}_${v} += p${i}_${j} * w${j};`);
        emit(indent, '}');
      }
      return;
    }
    for (const j of K)
      for (const v of V) {
        emit(indent, `{ let vv = vec4f(vIn[kb${j} + ${v}u]);`);
        for (const i of R) emit(indent + 2, `o${i}_${v} += p${i}_${j} * vv;`);
        emit(indent, '}');
      }
  };

  // Plain attention: one pass, online softmax (running max m, rescale of l and O when it grows).
  const onlinePass = (indent: number): void => {
    for (const i of R) emit(indent, `var m${i} = LOWEST;`);
    emit(indent, `for (var start = 0u; start < params.nk; start += ${rk}u) {`);
    scoreBlock(indent + 2);
    for (const j of K) {
      emit(indent + 2, `let ok${j} = start + ${j}u < params.nk;`);
      for (const i of R) emit(indent + 2, `let x${i}_${j} = select(LOWEST, s${i}_${j}, ok${j});`);
    }
    for (const i of R) {
      const tileMax = K.map((j) => `x${i}_${j}`).reduce((a, b) => `max(${a}, ${b})`);
      emit(
        indent + 2,
        `let mNew${i} = max(m${i}, ${tileMax});`,
        `let corr${i} = exp(m${i} - mNew${i});`,
        `m${i} = mNew${i};`,
      );
      for (const j of K) emit(indent + 2, `let p${i}_${j} = exp(x${i}_${j} - mNew${i});`);
      emit(indent + 2, `l${i} = l${i} * corr${i} + ${K.map((j) => `p${i}_${j}`).join(' + ')};`);
    }
    accumulatePV(indent + 2, true);
    emit(indent, '}');
  };

  /*
   * Modulated attention in one pass over the keys in region order (key-order.ts): keys come run by run and R is
   * one value per (row, run), so each row keeps two online softmaxes of keep·S (keep = 1 − a ≥ 0) — the active
   * one (m, l, o) for the kind of key being visited (region keys or the others), the idle one (mI, lu, u) for the
   * other kind — and swaps them (selects) at a run boundary where its R changes. Each kind keeps its own running
   * max, so neither sum loses its terms when the other kind holds the row max (region keys far below it can still
   * win after the bias). The min of S over all keys is tracked on the way; at the end, with Δ = max − min,
   *   x_R = keep·max_R + a·Δ,  x_N = keep·max_N,  h = max(x_R, x_N),
   *   O = (O_R·e^{x_R−h} + O_N·e^{x_N−h}) / (l_R·e^{x_R−h} + l_N·e^{x_N−h})
   * — the fused form's softmax exactly, every exponent ≤ 0 and the largest term 1.
   * Per (row, key) this is the plain pass plus a min and a multiply by keep; per run, selects over the head dim.
   * Keys past a run's end repeat its last key (like the plain pass past nk): masked out of P, harmless to max/min.
   */
  const modulatedPass = (indent: number): void => {
    for (const i of R) {
      emit(
        indent,
        `let a${i} = strength * sizeReg[g${i}];`,
        `let keep${i} = 1.0 - a${i};`,
        `var m${i} = LOWEST;`,
        `var mI${i} = LOWEST;`,
        `var mn${i} = -LOWEST;`,
        `var activeR${i} = false;`,
        `var lu${i} = 0.0;`,
      );
      if (loopD) emit(indent, `var u${i}: array<vec4f, ${dv}>;`);
      else for (const v of V) emit(indent, `var u${i}_${v} = vec4f(0.0);`);
    }
    // Swaps the active and idle softmax of rows whose R changes at this run.
    const swap = (x: string, y: string, i: number): string =>
      `{ let x = ${x}; ${x} = select(x, ${y}, swap${i}); ${y} = select(${y}, x, swap${i}); }`;
    emit(indent, 'let runs = keyOrder[0];', 'let permBase = 1u + 3u * runs;');
    emit(indent, 'for (var run = 0u; run < runs; run++) {');
    const ind = indent + 2;
    emit(ind, 'let runEnd = keyOrder[2u + 3u * run];', 'let runBits = keyOrder[3u + 3u * run];');
    for (const i of R) {
      emit(ind, `let wantR${i} = (qBits${i} & runBits) != 0u;`, `let swap${i} = wantR${i} != activeR${i};`);
      emit(ind, swap(`m${i}`, `mI${i}`, i), swap(`l${i}`, `lu${i}`, i));
      if (loopD) emit(ind, `for (var c = 0u; c < ${dv}u; c++) ${swap(`o${i}[c]`, `u${i}[c]`, i)}`);
      else for (const v of V) emit(ind, swap(`o${i}_${v}`, `u${i}_${v}`, i));
      emit(ind, `activeR${i} = wantR${i};`);
    }
    emit(ind, `for (var start = keyOrder[1u + 3u * run]; start < runEnd; start += ${rk}u) {`);
    scoreBlock(ind + 2);
    for (const j of K) emit(ind + 2, `let ok${j} = start + ${j}u < runEnd;`);
    for (const i of R) {
      const blockMax = K.map((j) => `s${i}_${j}`).reduce((x, y) => `max(${x}, ${y})`);
      const blockMin = K.map((j) => `s${i}_${j}`).reduce((x, y) => `min(${x}, ${y})`);
      emit(
        ind + 2,
        `let mNew${i} = max(m${i}, ${blockMax});`,
        `mn${i} = min(mn${i}, ${blockMin});`,
        `let corr${i} = exp(keep${i} * (m${i} - mNew${i}));`,
        `m${i} = mNew${i};`,
      );
      for (const j of K)
        emit(ind + 2, `let p${i}_${j} = select(0.0, exp(keep${i} * (s${i}_${j} - mNew${i})), ok${j});`);
      emit(ind + 2, `l${i} = l${i} * corr${i} + ${K.map((j) => `p${i}_${j}`).join(' + ')};`);
    }
    accumulatePV(ind + 2, true);
    emit(ind, '}');
    emit(indent, '}');
    // Combine: a kind with no keys (max still LOWEST) has weight 0.
    for (const i of R)
      emit(
        indent,
        `let mR${i} = select(mI${i}, m${i}, activeR${i});`,
        `let mN${i} = select(m${i}, mI${i}, activeR${i});`,
        `let aD${i} = a${i} * (max(m${i}, mI${i}) - mn${i});`,
        `let xR${i} = select(LOWEST, keep${i} * mR${i} + aD${i}, mR${i} > LOWEST);`,
        `let xN${i} = select(LOWEST, keep${i} * mN${i}, mN${i} > LOWEST);`,
        `let h${i} = max(xR${i}, xN${i});`,
        `let wR${i} = exp(xR${i} - h${i});`,
        `let wN${i} = exp(xN${i} - h${i});`,
        `let cA${i} = select(wN${i}, wR${i}, activeR${i});`,
        `let cI${i} = select(wR${i}, wN${i}, activeR${i});`,
        `l${i} = l${i} * cA${i} + lu${i} * cI${i};`,
      );
    for (const i of R) {
      if (loopD)
        emit(indent, `for (var c = 0u; c < ${dv}u; c++) {`, `  o${i}[c] = o${i}[c] * cA${i} + u${i}[c] * cI${i};`, '}');
      else for (const v of V) emit(indent, `o${i}_${v} = o${i}_${v} * cA${i} + u${i}_${v} * cI${i};`);
    }
  };

  emit(0, c.storage === 'f16' ? 'enable f16;' : '');
  if (sg) emit(0, 'enable subgroups;');
  emit(0, `alias Elem = ${c.storage};`, c.paramsStruct, '');
  emit(
    0,
    '@group(0) @binding(0) var<uniform> params: Params;',
    '@group(0) @binding(1) var<storage, read> qIn: array<vec4<Elem>>;',
    '@group(0) @binding(2) var<storage, read> kIn: array<vec4<Elem>>;',
    '@group(0) @binding(3) var<storage, read> vIn: array<vec4<Elem>>;',
    '@group(0) @binding(4) var<storage, read_write> outData: array<vec4<Elem>>;',
  );
  if (modulated)
    emit(
      0,
      '@group(0) @binding(5) var<storage, read> queryBits: array<u32>;',
      '@group(0) @binding(6) var<storage, read> keyOrder: array<u32>;',
      '@group(0) @binding(7) var<storage, read> sizeReg: array<f32>;',
      '@group(0) @binding(8) var<storage, read> itemStrength: array<f32>;',
    );
  emit(0, '', 'const LOWEST: f32 = -3.0e38;', '');
  emit(0, `@compute @workgroup_size(${tq})`);
  emit(
    0,
    'fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32' +
      (sg ? ', @builtin(subgroup_invocation_id) sgLane: u32) {' : ') {'),
  );
  if (sg) emit(2, `let lane = sgLane % ${ROW_SUBGROUP}u;`);
  emit(
    2,
    `let chV = params.channels / 4u;`,
    'let head = wg.y;',
    'let item = params.b0 + wg.z;',
    `let row0 = wg.x * ${tq * rq}u;`,
    `let rows = min(${tq * rq}u, params.qRows - row0);`,
    `let qBase = (params.qOffset + (wg.z * params.nq + row0) * params.channels) / 4u + head * ${dv}u;`,
    'let kvItem = item / params.itemsPerKv - params.kb0;',
    `let kvBase = (params.kvOffset + kvItem * params.nk * params.channels) / 4u + head * ${dv}u;`,
  );
  for (const i of R) {
    // Rows past the end load the last row (valid memory) and write nothing. q is scaled by 1/√d as it loads, so
    // the dot products are the scores S.
    emit(2, `let r${i} = lid + ${tq * i}u;`, `let qb${i} = qBase + min(r${i}, rows - 1u) * chV;`);
    if (loopD) {
      emit(
        2,
        `var q${i}: array<vec4f, ${dv}>;`,
        `var o${i}: array<vec4f, ${dv}>;`,
        `for (var c = 0u; c < ${dv}u; c++) {`,
        `  q${i}[c] = vec4f(qIn[qb${i} + c]) * params.scale;`,
        `  o${i}[c] = vec4f(0.0);`,
        '}',
      );
    } else for (const v of V) emit(2, `let q${i}_${v} = vec4f(qIn[qb${i} + ${v}u]) * params.scale;`);
  }
  for (const i of R) {
    emit(2, `var l${i} = 0.0;`);
    if (!loopD) for (const v of V) emit(2, `var o${i}_${v} = vec4f(0.0);`);
  }
  if (modulated) {
    emit(2, 'let strength = itemStrength[item];');
    for (const i of R) {
      emit(2, `let g${i} = (item % params.groups) * params.nq + params.q0 + row0 + min(r${i}, rows - 1u);`);
      emit(2, `let qBits${i} = queryBits[g${i}];`);
    }
    modulatedPass(2);
  } else onlinePass(2);
  for (const i of R) {
    emit(2, `if (r${i} < rows) {`, `  let inv = 1.0 / l${i};`);
    if (loopD)
      emit(4, `for (var c = 0u; c < ${dv}u; c++) {`, `  outData[qb${i} + c] = vec4<Elem>(o${i}[c] * inv);`, '}');
    else for (const v of V) emit(4, `outData[qb${i} + ${v}u] = vec4<Elem>(o${i}_${v} * inv);`);
    emit(2, '}');
  }
  emit(0, '}');
  return lines.filter((l, i) => i > 0 || l !== '').join('\n');
}
