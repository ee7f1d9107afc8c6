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
 * arithmetic per load in registers. Modulated attention runs as two kernels, one pass each over the keys (the
 * fused form's exact rowmax/rowmin must be known before any exponential):
 *  - 'stats' (pass 1, QKᵀ only): per row the max of S over region keys and the max and min over all keys
 *    (branch-free: select on the key's region bits), from which keep = 1 − a, bias = a·(rowmax − rowmin) and the
 *    EXACT max of the modulated scores follow; written per (item, head, row) as vec4f(keep, bias, max, 0). With no
 *    V loads and no output accumulator it holds more rows per invocation than the apply kernel (rowStatsTiles),
 *    which is what makes it cheap: each K load feeds twice the rows.
 *  - 'apply' (pass 2): softmax with that fixed max and P·V — no online rescale of l and O per block.
 * Both kernels run only on items with itemStrength ≠ 0: the host dispatches the plain kernel for the others
 * (plan.ts keeps them in separate chunks). No branches at all, not even uniform ones: SwiftShader executes a
 * branch by masking every write inside it, so a uniformly skipped branch around P·V costs more than the P·V
 * itself — which also rules out the one-pass form with a region and an other-keys accumulator (measured
 * 2.0–2.5× plain).
 * Subgroup variant (`subgroups`, RK and TQ multiples of ROW_SUBGROUP = 4): lane l of each 4 loads key
 * start + l and subgroupBroadcast hands its vec4s to the other lanes — a quarter of the K/V loads (on
 * SwiftShader a load of a non-provably-uniform address is a per-lane gather).
 *
 * Bindings (group 0) as attention.wgsl, with Q/K/V/O read as array<vec4<Elem>> (needs d % 4 = 0; the element
 * offsets in Params are then multiples of 4): 0 Params, 1 Q, 2 K, 3 V, 4 O; modulated (apply): 5 queryBits,
 * 6 keyBits, 9 the stats (read); the stats kernel's own in ROW_STATS_BINDING's comment.
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
  /**
   * Modulated only: 'stats' = pass 1 (ROW_STATS_BINDING), 'apply' (default) = pass 2 reading pass 1's stats.
   */
  readonly stage?: RowStage;
  /** The Params struct (shader.ts), passed in to avoid an import cycle. */
  readonly paramsStruct: string;
}

export type RowStage = 'stats' | 'apply';

/**
 * Bindings of the 'stats' stage (group 0): 0 Params, 1 Q, 2 K, 3 queryBits, 4 keyBits, 5 sizeReg, 6 itemStrength,
 * 7 stats (read_write). The 'apply' stage has the plain kernel's 0–4, 5 queryBits, 6 keyBits and 9 stats (read).
 */
export const ROW_STATS_BINDING = { stats: 7, applyStats: 9 } as const;
/** Bytes per (item, head, row) in the stats buffer: vec4f(keep, bias, max, 0). */
export const ROW_STATS_BYTES = 16;

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
  if (c.stage && !modulated) throw new Error(`row attention stage '${c.stage}' is for modulated attention`);
  const stage = modulated ? (c.stage ?? 'apply') : undefined;
  const stats = stage === 'stats';
  if (sg && !rowSubgroupsFit({ tq, rk }, ROW_SUBGROUP))
    throw new Error(`row attention subgroup variant needs TQ and RK multiples of ${ROW_SUBGROUP}, got ${tq}, ${rk}`);
  // Key j of a block comes from lane j % SG of load group ⌊j / SG⌋ (subgroup variant), else its own load.
  const groups = range(sg ? rk / ROW_SUBGROUP : 0);
  const keyBases = (indent: number): void => {
    if (sg)
      for (const g of groups)
        emit(indent, `let kl${g} = kvBase + min(start + ${g * ROW_SUBGROUP}u + lane, params.nk - 1u) * chV;`);
    else for (const j of K) emit(indent, `let kb${j} = kvBase + min(start + ${j}u, params.nk - 1u) * chV;`);
  };
  /** `let kBits{j}` (key j's region bits) for every key j of the block; one load per 4 lanes with subgroups. */
  const loadKeyBits = (indent: number): void => {
    if (!sg) {
      for (const j of K) emit(indent, `let kBits${j} = keyBits[min(start + ${j}u, params.nk - 1u)];`);
      return;
    }
    for (const g of groups)
      emit(indent, `let kBitsL${g} = keyBits[min(start + ${g * ROW_SUBGROUP}u + lane, params.nk - 1u)];`);
    for (const j of K)
      emit(indent, `let kBits${j} = subgroupBroadcast(kBitsL${Math.floor(j / ROW_SUBGROUP)}, ${j % ROW_SUBGROUP}u);`);
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
  // Scores s{i}_{j} of keys start + j (clamped to the last key, so a block past the end repeats that key: callers
  // mask keys ≥ nk, except max/min, which a repeated key cannot change). `scaled` false: the raw dot product
  // (pass 1 takes max/min before scaling: rounding is monotone, so max(dot)·scale = max(dot·scale) exactly).
  const scoreBlock = (indent: number, scaled = true): void => {
    const sc = scaled ? ' * params.scale' : '';
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
          emit(indent, `let s${i}_${j} = (t${i}_${j}.x + t${i}_${j}.y + t${i}_${j}.z + t${i}_${j}.w)${sc};`);
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
          emit(indent, `let s${i}_${j} = (t${i}_${j}.x + t${i}_${j}.y + t${i}_${j}.z + t${i}_${j}.w)${sc};`);
      return;
    }
    for (const j of K) {
      for (const i of R) emit(indent, `var t${i}_${j} = vec4f(0.0);`);
      for (const v of V) {
        emit(indent, `{ let kv = vec4f(kIn[kb${j} + ${v}u]);`);
        for (const i of R) emit(indent + 2, `t${i}_${j} += q${i}_${v} * kv;`);
        emit(indent, '}');
      }
      for (const i of R)
        emit(indent, `let s${i}_${j} = (t${i}_${j}.x + t${i}_${j}.y + t${i}_${j}.z + t${i}_${j}.w)${sc};`);
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
   * Modulated attention, two passes and no online rescale. Pass 1 (QKᵀ only): per row the max of S over the
   * region's keys (R = 1), the max over all keys and the min over all. Then per row a = strength·sizeReg,
   * keep = 1 − a, bias = a·(rowmax − rowmin), and the exact max of x = keep·S + R·bias:
   *   mx = max(keep·maxS[R=1] + bias, keep·rowmax)
   * (keep ≥ 0 and bias ≥ 0: if the row's max key is a region key, keep·rowmax ≤ keep·maxS[R=1] + bias, which is
   * then the max; otherwise keep·rowmax is the max over the other keys.)
   * Pass 2: p = exp(x − mx) with that fixed max, l += Σp, O += P·V — the same arithmetic as one plain block minus
   * the per-block max, correction exp and O rescale, which is what pays for pass 1.
   */
  const statsPass = (indent: number): void => {
    for (const i of R) emit(indent, `var mxP${i} = LOWEST;`, `var mxA${i} = LOWEST;`, `var mn${i} = -LOWEST;`);
    emit(indent, `for (var start = 0u; start < params.nk; start += ${rk}u) {`);
    scoreBlock(indent + 2, false);
    loadKeyBits(indent + 2);
    for (const j of K) {
      for (const i of R)
        emit(
          indent + 2,
          `mxP${i} = max(mxP${i}, select(LOWEST, s${i}_${j}, (qBits${i} & kBits${j}) != 0u));`,
          `mxA${i} = max(mxA${i}, s${i}_${j});`,
          `mn${i} = min(mn${i}, s${i}_${j});`,
        );
    }
    emit(indent, '}');
    for (const i of R) {
      emit(
        indent,
        `let a${i} = strength * sizeReg[g${i}];`,
        `let keep${i} = 1.0 - a${i};`,
        `let sP${i} = mxP${i} * params.scale;`,
        `let sA${i} = mxA${i} * params.scale;`,
        `let bias${i} = a${i} * (sA${i} - mn${i} * params.scale);`,
        // No region key (mxP still LOWEST): the region term does not count.
        `let mx${i} = max(select(LOWEST, keep${i} * sP${i} + bias${i}, mxP${i} > LOWEST), keep${i} * sA${i});`,
      );
    }
  };
  // q is pre-multiplied by keep·scale (qScale, at load), so the block's raw dot products are keep·S; the region
  // term and the max fold into one addend per (row, key): x − mx = keep·S + (R ? bias − mx : −mx).
  const applyPass = (indent: number): void => {
    emit(indent, `for (var start = 0u; start < params.nk; start += ${rk}u) {`);
    scoreBlock(indent + 2, false);
    loadKeyBits(indent + 2);
    for (const j of K) {
      emit(indent + 2, `let ok${j} = start + ${j}u < params.nk;`);
      for (const i of R) {
        const add = `select(negMx${i}, biasMinusMx${i}, (qBits${i} & kBits${j}) != 0u)`;
        emit(indent + 2, `let p${i}_${j} = select(0.0, exp(s${i}_${j} + ${add}), ok${j});`);
      }
    }
    for (const i of R) emit(indent + 2, `l${i} += ${K.map((j) => `p${i}_${j}`).join(' + ')};`);
    accumulatePV(indent + 2, false);
    emit(indent, '}');
  };
  // Row i's entry in the stats buffer: [chunk item, head, chunk row] (the stats kernel's dispatch = this one's).
  const statsIndex = (i: number): string => `(wg.z * nwg.y + head) * params.qRows + row0 + min(r${i}, rows - 1u)`;
  const modulatedApply = (indent: number): void => {
    for (const i of R) emit(indent, `let negMx${i} = -st${i}.z;`, `let biasMinusMx${i} = st${i}.y - st${i}.z;`);
    applyPass(indent);
  };

  emit(0, c.storage === 'f16' ? 'enable f16;' : '');
  if (sg) emit(0, 'enable subgroups;');
  emit(0, `alias Elem = ${c.storage};`, c.paramsStruct, '');
  if (stats)
    emit(
      0,
      '@group(0) @binding(0) var<uniform> params: Params;',
      '@group(0) @binding(1) var<storage, read> qIn: array<vec4<Elem>>;',
      '@group(0) @binding(2) var<storage, read> kIn: array<vec4<Elem>>;',
      '@group(0) @binding(3) var<storage, read> queryBits: array<u32>;',
      '@group(0) @binding(4) var<storage, read> keyBits: array<u32>;',
      '@group(0) @binding(5) var<storage, read> sizeReg: array<f32>;',
      '@group(0) @binding(6) var<storage, read> itemStrength: array<f32>;',
      `@group(0) @binding(${ROW_STATS_BINDING.stats}) var<storage, read_write> rowStats: array<vec4f>;`,
    );
  else {
    emit(
      0,
      '@group(0) @binding(0) var<uniform> params: Params;',
      '@group(0) @binding(1) var<storage, read> qIn: array<vec4<Elem>>;',
      '@group(0) @binding(2) var<storage, read> kIn: array<vec4<Elem>>;',
      '@group(0) @binding(3) var<storage, read> vIn: array<vec4<Elem>>;',
      '@group(0) @binding(4) var<storage, read_write> outData: array<vec4<Elem>>;',
    );
    // sizeReg and itemStrength (bindings 7, 8) are folded into the stats by pass 1.
    if (modulated)
      emit(
        0,
        '@group(0) @binding(5) var<storage, read> queryBits: array<u32>;',
        '@group(0) @binding(6) var<storage, read> keyBits: array<u32>;',
        `@group(0) @binding(${ROW_STATS_BINDING.applyStats}) var<storage, read> rowStats: array<vec4f>;`,
      );
  }
  emit(0, '', 'const LOWEST: f32 = -3.0e38;', '');
  emit(0, `@compute @workgroup_size(${tq})`);
  emit(
    0,
    'fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32' +
      (modulated ? ', @builtin(num_workgroups) nwg: vec3u' : '') +
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
  const apply = stage === 'apply';
  for (const i of R) {
    // Rows past the end load the last row (valid memory) and write nothing.
    emit(2, `let r${i} = lid + ${tq * i}u;`, `let qb${i} = qBase + min(r${i}, rows - 1u) * chV;`);
    // Apply pass: the row's (keep, bias, max) from the stats pass; q scaled by keep·scale as it loads.
    if (apply) emit(2, `let st${i} = rowStats[${statsIndex(i)}];`, `let qScale${i} = st${i}.x * params.scale;`);
    const qScale = apply ? ` * qScale${i}` : '';
    if (loopD) {
      emit(2, `var q${i}: array<vec4f, ${dv}>;`);
      if (!stats) emit(2, `var o${i}: array<vec4f, ${dv}>;`);
      emit(
        2,
        `for (var c = 0u; c < ${dv}u; c++) {`,
        `  q${i}[c] = vec4f(qIn[qb${i} + c])${qScale};`,
        ...(stats ? [] : [`  o${i}[c] = vec4f(0.0);`]),
        '}',
      );
    } else for (const v of V) emit(2, `let q${i}_${v} = vec4f(qIn[qb${i} + ${v}u])${qScale};`);
  }
  if (stats) {
    emit(2, 'let strength = itemStrength[item];');
    for (const i of R) {
      emit(2, `let g${i} = (item % params.groups) * params.nq + params.q0 + row0 + min(r${i}, rows - 1u);`);
      emit(2, `let qBits${i} = queryBits[g${i}];`);
    }
    statsPass(2);
    for (const i of R)
      emit(2, `if (r${i} < rows) {`, `  rowStats[${statsIndex(i)}] = vec4f(keep${i}, bias${i}, mx${i}, 0.0);`, '}');
    emit(0, '}');
    return lines.filter((l, i) => i > 0 || l !== '').join('\n');
  }
  for (const i of R) {
    emit(2, `var l${i} = 0.0;`);
    if (!loopD) for (const v of V) emit(2, `var o${i}_${v} = vec4f(0.0);`);
  }
  if (modulated) {
    for (const i of R) {
      emit(2, `let g${i} = (item % params.groups) * params.nq + params.q0 + row0 + min(r${i}, rows - 1u);`);
      emit(2, `let qBits${i} = queryBits[g${i}];`);
    }
    modulatedApply(2);
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
