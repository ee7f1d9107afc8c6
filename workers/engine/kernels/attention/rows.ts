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
 * arithmetic per load in registers. The modulated variant (items with itemStrength ≠ 0; a uniform branch sends
 * the others through the plain pass) is ONE pass too: exp(x_k) = exp((1 − a)·S_k)·e^{a·Δ·R_k} with Δ = rowmax −
 * rowmin one scalar per row, so per row it keeps two online softmaxes of (1 − a)·S — over the region keys and over
 * the others — and the running max/min of S; Δ is applied only at the end, weighting the two sides
 * (modulatedOnePass below: formula, why it is exact, the end combination). Each side's P·V runs only on blocks
 * with a key of that side for some row of the invocation (a branch), so spatially coherent regions cost about
 * plain + (mixed blocks)·P·V; the earlier two-pass form (a whole extra QKᵀ for rowmax/rowmin) cost 1.3–1.8×.
 * Subgroup variant (`subgroups`, RK and TQ multiples of ROW_SUBGROUP = 4): lane l of each 4 loads key
 * start + l and subgroupBroadcast hands its vec4s to the other lanes — a quarter of the K/V loads (on
 * SwiftShader a load of a non-provably-uniform address is a per-lane gather).
 *
 * Bindings (group 0) as attention.wgsl, with Q/K/V/O read as array<vec4<Elem>> (needs d % 4 = 0; the element
 * offsets in Params are then multiples of 4): 0 Params, 1 Q, 2 K, 3 V, 4 O; modulated: 5 queryBits, 6 keyBits,
 * 7 sizeReg, 8 itemStrength. Elem = f32, or f16 storage (math in f32).
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
  const keyBases = (indent: number): void => {
    if (sg)
      for (const g of groups)
        emit(indent, `let kl${g} = kvBase + min(start + ${g * ROW_SUBGROUP}u + lane, params.nk - 1u) * chV;`);
    else for (const j of K) emit(indent, `let kb${j} = kvBase + min(start + ${j}u, params.nk - 1u) * chV;`);
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
  // mask keys ≥ nk, except max/min, which a repeated key cannot change).
  const scoreBlock = (indent: number): void => {
    const sc = ' * params.scale';
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
   * Modulated attention in ONE pass over the keys (DESIGN §3.4 fused form). With T_k = keep·S_k (keep = 1 − a)
   * and Δ = rowmax(S) − rowmin(S), x_k = T_k + a·Δ·R_k, so exp(x_k) = exp(T_k)·e^{aΔ} on region keys (R = 1) and
   * exp(T_k) on the others: the softmax splits into two online softmaxes of T over the region keys (running max
   * mR, sum lR, accumulator u) and over the other keys (mN, lN, o), and Δ (running max/min of S over all keys)
   * is only needed at the end:
   *   top = max(mR + aΔ, mN),  cR = exp(mR + aΔ − top),  cN = exp(mN − top)   (a side with no key: c = 0)
   *   out = (cR·u + cN·o) / (cR·lR + cN·lN)
   * Exact in exact arithmetic (every weight is exp(x_k − top) up to the common factor), and no weight underflows
   * that two passes with the exact max would keep: each side is relative to its own max, aΔ only enters through
   * cR/cN ≤ 1 (one of them is 1). Cost: the O update of a side runs only when some row of the invocation has a
   * key of that side in the block (a branch; regions are spatially coherent, so most blocks are all-in or
   * all-out and cost one plain P·V), i.e. about plain + (fraction of mixed blocks)·P·V. Its running max only
   * moves when the block has such a key, so skipping the update also skips a rescale that would be ×1.
   * Subgroup variant: the broadcast V loads stay outside the branches (subgroupBroadcast needs uniform control
   * flow), the FMAs are guarded per head-dim vec4.
   */
  const modulatedOnePass = (indent: number): void => {
    // Correction and sum updates outside the branches where the O update is per head-dim column anyway.
    const corrOutside = loopD || sg;
    for (const i of R)
      emit(
        indent,
        `let keep${i} = 1.0 - a${i};`,
        `var mN${i} = LOWEST;`,
        `var mR${i} = LOWEST;`,
        `var lR${i} = 0.0;`,
        `var mxA${i} = LOWEST;`,
        `var mn${i} = -LOWEST;`,
      );
    for (const i of R) {
      if (loopD)
        emit(indent, `var u${i}: array<vec4f, ${dv}>;`, `for (var c = 0u; c < ${dv}u; c++) { u${i}[c] = vec4f(0.0); }`);
      else for (const v of V) emit(indent, `var u${i}_${v} = vec4f(0.0);`);
    }
    emit(indent, `for (var start = 0u; start < params.nk; start += ${rk}u) {`);
    const b = indent + 2;
    scoreBlock(b);
    for (const j of K)
      emit(
        b,
        `let ok${j} = start + ${j}u < params.nk;`,
        `let kBits${j} = keyBits[min(start + ${j}u, params.nk - 1u)];`,
      );
    for (const i of R) {
      for (const j of K)
        emit(
          b,
          // A key past the end repeats the last key: it cannot change max/min, so no mask there.
          `mxA${i} = max(mxA${i}, s${i}_${j});`,
          `mn${i} = min(mn${i}, s${i}_${j});`,
          `let in${i}_${j} = (qBits${i} & kBits${j}) != 0u;`,
          `let rr${i}_${j} = in${i}_${j} & ok${j};`,
          `let nn${i}_${j} = !in${i}_${j} & ok${j};`,
          `let t${i}_${j}s = keep${i} * s${i}_${j};`,
        );
      const maxOf = (mask: string): string =>
        K.map((j) => `select(LOWEST, t${i}_${j}s, ${mask}${i}_${j})`).reduce((x, y) => `max(${x}, ${y})`);
      emit(b, `let mNn${i} = max(mN${i}, ${maxOf('nn')});`, `let mRn${i} = max(mR${i}, ${maxOf('rr')});`);
      for (const j of K)
        emit(
          b,
          // Invalid keys: whatever exp gives, the selects drop it (with no key yet the max is LOWEST: exp(0)).
          `let p${i}_${j} = exp(t${i}_${j}s - select(mNn${i}, mRn${i}, in${i}_${j}));`,
          `let pN${i}_${j} = select(0.0, p${i}_${j}, nn${i}_${j});`,
          `let pR${i}_${j} = select(0.0, p${i}_${j}, rr${i}_${j});`,
        );
    }
    const anyOf = (mask: string): string => R.flatMap((i) => K.map((j) => `${mask}${i}_${j}`)).join(' | ');
    emit(b, `let anyN = ${anyOf('nn')};`, `let anyR = ${anyOf('rr')};`);
    // Side N accumulates into o/l (shared with the plain path and the output code), side R into u/lR.
    const side = {
      N: { o: 'o', l: 'l', m: 'mN', p: 'pN', c: 'cN' },
      R: { o: 'u', l: 'lR', m: 'mR', p: 'pR', c: 'cR' },
    } as const;
    type Side = keyof typeof side;
    const corrAndSums = (ind: number, sides: readonly Side[]): void => {
      for (const sd of sides) {
        const { l, m, p, c: cr } = side[sd];
        for (const i of R)
          emit(
            ind,
            `let ${cr}${i} = exp(${m}${i} - ${m}n${i});`,
            `${l}${i} = ${l}${i} * ${cr}${i} + ${K.map((j) => `${p}${i}_${j}`).join(' + ')};`,
          );
      }
    };
    if (corrOutside) corrAndSums(b, ['N', 'R']);
    if (!sg) {
      // Three ways, the V loads shared when both sides run.
      const pv = (ind: number, sides: readonly Side[]): void => {
        if (!corrOutside) corrAndSums(ind, sides);
        if (loopD) {
          emit(ind, `for (var c = 0u; c < ${dv}u; c++) {`);
          for (const j of K) emit(ind + 2, `let v${j} = vec4f(vIn[kb${j} + c]);`);
          for (const sd of sides) {
            const { o, p, c: cr } = side[sd];
            for (const i of R)
              emit(
                ind + 2,
                `${o}${i}[c] = ${o}${i}[c] * ${cr}${i} + ${K.map((j) => `${p}${i}_${j} * v${j}`).join(' + ')};`,
              );
          }
          emit(ind, '}');
          return;
        }
        for (const sd of sides)
          for (const i of R) for (const v of V) emit(ind, `${side[sd].o}${i}_${v} *= ${side[sd].c}${i};`);
        for (const j of K)
          for (const v of V) {
            emit(ind, `{ let vv = vec4f(vIn[kb${j} + ${v}u]);`);
            for (const sd of sides)
              for (const i of R) emit(ind + 2, `${side[sd].o}${i}_${v} += ${side[sd].p}${i}_${j} * vv;`);
            emit(ind, '}');
          }
      };
      emit(b, 'if (anyN & anyR) {');
      pv(b + 2, ['N', 'R']);
      emit(b, '} else if (anyR) {');
      pv(b + 2, ['R']);
      emit(b, '} else {');
      pv(b + 2, ['N']);
      emit(b, '}');
    } else if (loopD) {
      emit(b, `for (var c = 0u; c < ${dv}u; c++) {`);
      loadKeys(b + 2, 'vIn', 'v', 'c');
      for (const sd of ['N', 'R'] as const) {
        const { o, p, c: cr } = side[sd];
        emit(b + 2, `if (any${sd}) {`);
        for (const i of R)
          emit(b + 4, `${o}${i}[c] = ${o}${i}[c] * ${cr}${i} + ${K.map((j) => `${p}${i}_${j} * v${j}`).join(' + ')};`);
        emit(b + 2, '}');
      }
      emit(b, '}');
    } else {
      for (const sd of ['N', 'R'] as const) {
        emit(b, `if (any${sd}) {`);
        for (const i of R) for (const v of V) emit(b + 2, `${side[sd].o}${i}_${v} *= ${side[sd].c}${i};`);
        emit(b, '}');
      }
      for (const v of V) {
        emit(b, '{');
        loadKeys(b + 2, 'vIn', 'w', `${v}u`);
        for (const sd of ['N', 'R'] as const) {
          emit(b + 2, `if (any${sd}) {`);
          for (const j of K)
            for (const i of R) emit(b + 4, `${side[sd].o}${i}_${v} += ${side[sd].p}${i}_${j} * w${j};`);
          emit(b + 2, '}');
        }
        emit(b, '}');
      }
    }
    for (const i of R) emit(b, `mN${i} = mNn${i};`, `mR${i} = mRn${i};`);
    emit(indent, '}');
    // The end combination: both sides onto the common max, folded into o/l for the shared output code.
    for (const i of R) {
      emit(
        indent,
        `let bias${i} = a${i} * (mxA${i} - mn${i});`,
        `let hasR${i} = mR${i} > LOWEST;`,
        `let hasN${i} = mN${i} > LOWEST;`,
        `let top${i} = max(select(LOWEST, mR${i} + bias${i}, hasR${i}), select(LOWEST, mN${i}, hasN${i}));`,
        `let fR${i} = select(0.0, exp(mR${i} + bias${i} - top${i}), hasR${i});`,
        `let fN${i} = select(0.0, exp(mN${i} - top${i}), hasN${i});`,
        `l${i} = fN${i} * l${i} + fR${i} * lR${i};`,
      );
      if (loopD)
        emit(indent, `for (var c = 0u; c < ${dv}u; c++) { o${i}[c] = fN${i} * o${i}[c] + fR${i} * u${i}[c]; }`);
      else for (const v of V) emit(indent, `o${i}_${v} = fN${i} * o${i}_${v} + fR${i} * u${i}_${v};`);
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
      '@group(0) @binding(6) var<storage, read> keyBits: array<u32>;',
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
    // Rows past the end load the last row (valid memory) and write nothing.
    emit(2, `let r${i} = lid + ${tq * i}u;`, `let qb${i} = qBase + min(r${i}, rows - 1u) * chV;`);
    if (loopD) {
      emit(2, `var q${i}: array<vec4f, ${dv}>;`, `var o${i}: array<vec4f, ${dv}>;`);
      emit(
        2,
        `for (var c = 0u; c < ${dv}u; c++) {`,
        `  q${i}[c] = vec4f(qIn[qb${i} + c]);`,
        `  o${i}[c] = vec4f(0.0);`,
        '}',
      );
    } else for (const v of V) emit(2, `let q${i}_${v} = vec4f(qIn[qb${i} + ${v}u]);`);
  }
  for (const i of R) {
    emit(2, `var l${i} = 0.0;`);
    if (!loopD) for (const v of V) emit(2, `var o${i}_${v} = vec4f(0.0);`);
  }
  if (modulated) {
    emit(2, 'let strength = itemStrength[item];');
    for (const i of R) {
      emit(2, `let g${i} = (item % params.groups) * params.nq + params.q0 + row0 + min(r${i}, rows - 1u);`);
      emit(2, `let qBits${i} = queryBits[g${i}];`, `let a${i} = strength * sizeReg[g${i}];`);
    }
    // Uniform branch (one item per workgroup): unmodulated items (strength 0) take the plain single pass.
    emit(2, 'if (strength != 0.0) {');
    modulatedOnePass(4);
    emit(2, '} else {');
    onlinePass(4);
    emit(2, '}');
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
