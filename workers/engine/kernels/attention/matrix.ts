/**
 * WGSL generator, memory plan and applicability of the subgroup-matrix attention kernel: QKᵀ and P·V on the
 * adapter's matrix units through Chromium's `chromium-experimental-subgroup-matrix` (WGSL enable
 * `chromium_experimental_subgroup_matrix`; Dawn docs/dawn/features/subgroup_matrix.md). Same formula, bindings
 * (Q/K/V/O read as scalar arrays: the matrix loads take a pointer to an array of the component type), Params and
 * dispatch (⌈rows/BQ⌉ × heads × items) as attention.wgsl and rows.ts (DESIGN §3.4 fused form):
 *   S = q·kᵀ/√d,  x = (1 − a)·S + a·(rowmax − rowmin)·R,  O = softmax(x)·V,  a = 0 for plain attention.
 *
 * Shape: one subgroup per workgroup (the workgroup is `subgroupMaxSize` invocations wide, as the extension
 * requires, so every matrix operation is in workgroup-uniform control flow with uniform offsets) owns BQ = M
 * query rows of one (item, head); M × N × K is one of the adapter's `subgroupMatrixConfigs` with component type =
 * the storage type and result type f32 (accumulation in f32). The Q tile (M × d) is staged once in workgroup
 * memory, K and V blocks (BK × d, zero-padded past the last key/row, so no matrix load ever reads out of bounds)
 * in turn through one K/V tile. Two passes over the keys, as the row kernel's modulated form:
 *  - pass 1: S blocks (d/K matrix multiply-accumulates per N keys) stored to workgroup memory; invocation r < M
 *    takes row r's max of S over region keys, the max and the min over all keys (plain: a = 0, so the
 *    same code gives the plain row max);
 *  - pass 2: S again; row r's invocation writes P = exp(x − max x) (the exact max, known from pass 1) as the
 *    component type and sums l; O (d/N result matrices per subgroup, f32) += P·V. With the max fixed there is no
 *    per-row rescale of O, which subgroup matrices could not do (they only scale by one scalar).
 * Finally each O matrix goes through workgroup memory, is divided by l per row and written in the storage type.
 * QKᵀ runs twice (1.5× the matrix FLOPs of one pass), cheap on matrix units; the softmax is scalar on M
 * invocations. Not runnable on the CI adapter (no subgroup matrices): its WGSL, plan and applicability are
 * unit-tested, and the GPU test compiles it where an adapter offers the feature.
 */
import type { StorageType } from './tiles';

/** One entry of GPUAdapterInfo.subgroupMatrixConfigs (Chromium experimental). */
export interface SubgroupMatrixConfig {
  readonly componentType: string;
  readonly resultComponentType: string;
  readonly M: number;
  readonly N: number;
  readonly K: number;
}

export interface MatrixKernelConfig {
  readonly headDim: number;
  readonly storage: StorageType;
  readonly modulated: boolean;
  readonly matrix: SubgroupMatrixConfig;
  /** GPUAdapterInfo.subgroupMaxSize: the workgroup's width. */
  readonly subgroupMaxSize: number;
  /** Keys per staged K/V block (a multiple of N and K). */
  readonly blockK: number;
  /** The Params struct (shader.ts), passed in to avoid an import cycle. */
  readonly paramsStruct: string;
}

export interface MatrixKernelPlan {
  readonly blockQ: number;
  readonly blockK: number;
  readonly threads: number;
  /** Workgroup memory: Q tile + K/V tile (storage type), S tile (f32), P tile (storage type). */
  readonly workgroupBytes: number;
  /** Result matrices (f32 M × N) per subgroup: d/N for O plus BK/N for S. */
  readonly resultMatrices: number;
}

export function matrixKernelPlan(c: Omit<MatrixKernelConfig, 'paramsStruct' | 'modulated'>): MatrixKernelPlan {
  const elem = c.storage === 'f16' ? 2 : 4;
  const { M, N } = c.matrix;
  const d = c.headDim;
  const roundUp = (x: number): number => Math.ceil(x / 16) * 16;
  return {
    blockQ: M,
    blockK: c.blockK,
    threads: c.subgroupMaxSize,
    workgroupBytes:
      roundUp(M * d * elem) + roundUp(c.blockK * d * elem) + roundUp(M * c.blockK * 4) + roundUp(M * c.blockK * elem),
    resultMatrices: d / N + c.blockK / N,
  };
}

/** Why the subgroup-matrix kernel cannot run this head dim / storage with this config (undefined: it can). */
export function matrixKernelProblem(
  c: Omit<MatrixKernelConfig, 'paramsStruct' | 'modulated'>,
  limits: { maxComputeWorkgroupStorageSize: number; maxComputeInvocationsPerWorkgroup: number },
): string | undefined {
  const { M, N, K, componentType, resultComponentType } = c.matrix;
  if (componentType !== c.storage)
    return `matrix component type ${componentType} differs from the storage type ${c.storage}`;
  if (resultComponentType !== 'f32') return `matrix result type ${resultComponentType}: accumulation must be f32`;
  if (c.headDim % K !== 0 || c.headDim % N !== 0)
    return `head dim ${c.headDim} is not a multiple of the matrix K ${K} and N ${N}`;
  if (c.blockK % N !== 0 || c.blockK % K !== 0) return `key block ${c.blockK} is not a multiple of N ${N} and K ${K}`;
  if (c.subgroupMaxSize < M) return `subgroup size ${c.subgroupMaxSize} is below the matrix rows ${M}`;
  const p = matrixKernelPlan(c);
  if (p.threads > limits.maxComputeInvocationsPerWorkgroup) return `${p.threads} invocations exceed the device's`;
  if (p.workgroupBytes > limits.maxComputeWorkgroupStorageSize)
    return `${p.workgroupBytes} bytes of workgroup memory exceed the device's ${limits.maxComputeWorkgroupStorageSize}`;
  return undefined;
}

/**
 * The config and key block to use for a head dim and storage among the adapter's configs: the first config that
 * fits, with the largest key block of 64, 32, 16, 8 that fits (undefined: none).
 */
export function chooseMatrixKernel(
  headDim: number,
  storage: StorageType,
  configs: readonly SubgroupMatrixConfig[],
  subgroupMaxSize: number,
  limits: { maxComputeWorkgroupStorageSize: number; maxComputeInvocationsPerWorkgroup: number },
): { matrix: SubgroupMatrixConfig; blockK: number } | undefined {
  for (const matrix of configs)
    for (const blockK of [64, 32, 16, 8])
      if (!matrixKernelProblem({ headDim, storage, matrix, subgroupMaxSize, blockK }, limits))
        return { matrix, blockK };
  return undefined;
}

export function matrixKernelSource(c: MatrixKernelConfig): string {
  const problem = matrixKernelProblem(c, {
    maxComputeWorkgroupStorageSize: Infinity,
    maxComputeInvocationsPerWorkgroup: Infinity,
  });
  if (problem) throw new Error(`subgroup-matrix attention: ${problem}`);
  const { M, N, K } = c.matrix;
  const d = c.headDim;
  const bk = c.blockK;
  const E = c.storage;
  const left = `subgroup_matrix_left<${E}, ${K}, ${M}>`;
  const right = `subgroup_matrix_right<${E}, ${N}, ${K}>`;
  const result = `subgroup_matrix_result<f32, ${N}, ${M}>`;
  const oMats = d / N;
  const sMats = bk / N;
  const lines: string[] = [];
  const emit = (indent: number, ...ls: string[]): void => {
    for (const l of ls) lines.push(' '.repeat(indent) + l);
  };
  if (E === 'f16') emit(0, 'enable f16;');
  emit(0, 'enable subgroups;', 'enable chromium_experimental_subgroup_matrix;', '');
  emit(
    0,
    `alias Elem = ${E};`,
    `const D: u32 = ${d}u;`,
    `const BQ: u32 = ${M}u;`,
    `const BK: u32 = ${bk}u;`,
    `const THREADS: u32 = ${c.subgroupMaxSize}u;`,
    c.paramsStruct,
    '',
    '@group(0) @binding(0) var<uniform> params: Params;',
    '@group(0) @binding(1) var<storage, read> qIn: array<Elem>;',
    '@group(0) @binding(2) var<storage, read> kIn: array<Elem>;',
    '@group(0) @binding(3) var<storage, read> vIn: array<Elem>;',
    '@group(0) @binding(4) var<storage, read_write> outData: array<Elem>;',
  );
  if (c.modulated)
    emit(
      0,
      '@group(0) @binding(5) var<storage, read> queryBits: array<u32>;',
      '@group(0) @binding(6) var<storage, read> keyBits: array<u32>;',
      '@group(0) @binding(7) var<storage, read> sizeReg: array<f32>;',
      '@group(0) @binding(8) var<storage, read> itemStrength: array<f32>;',
    );
  emit(
    0,
    '',
    'var<workgroup> qTile: array<Elem, BQ * D>;',
    // K for S, then V for P·V (one tile: V is staged after S is stored).
    'var<workgroup> kvTile: array<Elem, BK * D>;',
    'var<workgroup> sTile: array<f32, BQ * BK>;',
    'var<workgroup> pTile: array<Elem, BQ * BK>;',
    '',
    'const LOWEST: f32 = -3.0e38;',
    '',
    // Zero-padded K or V block [start, start + BK) of this (item, head) into kvTile.
    'fn stageKV(src: u32, kvBase: u32, start: u32, lid: u32) {',
    '  for (var e = lid; e < BK * D; e += THREADS) {',
    '    let key = start + e / D;',
    '    var value = Elem(0.0);',
    '    if (key < params.nk) {',
    '      let at = kvBase + key * params.channels + e % D;',
    '      if (src == 0u) { value = kIn[at]; } else { value = vIn[at]; }',
    '    }',
    '    kvTile[e] = value;',
    '  }',
    '}',
    '',
    `fn scores() {`,
    `  let zero = ${result}();`,
  );
  // S block = Q (M × d) · K_blockᵀ (d × BK): per N keys, d/K multiply-accumulates; stored row-major (stride BK).
  for (let j = 0; j < sMats; j++) emit(2, `var s${j} = zero;`);
  emit(2, `for (var kk = 0u; kk < D; kk += ${K}u) {`);
  emit(4, `let q = subgroupMatrixLoad<${left}>(&qTile, kk, false, D);`);
  for (let j = 0; j < sMats; j++)
    // Kᵀ[dim, key] = kvTile[key·D + dim]: column-major with stride D.
    emit(
      4,
      `s${j} = subgroupMatrixMultiplyAccumulate(q, subgroupMatrixLoad<${right}>(&kvTile, ${j * N}u * D + kk, true, D), s${j});`,
    );
  emit(2, '}');
  for (let j = 0; j < sMats; j++) emit(2, `subgroupMatrixStore(&sTile, ${j * N}u, s${j}, false, BK);`);
  emit(0, '}', '');

  emit(0, `@compute @workgroup_size(${c.subgroupMaxSize})`);
  emit(0, 'fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {');
  emit(
    2,
    'let head = wg.y;',
    'let item = params.b0 + wg.z;',
    'let row0 = wg.x * BQ;',
    'let rows = min(BQ, params.qRows - row0);',
    'let qBase = params.qOffset + (wg.z * params.nq + row0) * params.channels + head * D;',
    'let kvItem = item / params.itemsPerKv - params.kb0;',
    'let kvBase = params.kvOffset + kvItem * params.nk * params.channels + head * D;',
    // Invocation r < BQ owns row r's softmax state (rows past the end are zero Q rows and write nothing).
    'let owner = lid < BQ;',
    'let r = min(lid, BQ - 1u);',
    'for (var e = lid; e < BQ * D; e += THREADS) {',
    '  let row = e / D;',
    '  qTile[e] = select(Elem(0.0), qIn[qBase + min(row, rows - 1u) * params.channels + e % D], row < rows);',
    '}',
  );
  if (c.modulated)
    emit(
      2,
      'let strength = itemStrength[item];',
      'let g = (item % params.groups) * params.nq + params.q0 + row0 + min(r, rows - 1u);',
      'let qBits = queryBits[g];',
    );
  else emit(2, 'let qBits = 0u;');
  emit(
    2,
    'var mxP = LOWEST;',
    'var mxA = LOWEST;',
    'var mn = -LOWEST;',
    '// Pass 1: row max over region keys, row max and row min of S (unscaled; the scale is positive).',
    'for (var start = 0u; start < params.nk; start += BK) {',
    '  workgroupBarrier();',
    '  stageKV(0u, kvBase, start, lid);',
    '  workgroupBarrier();',
    '  scores();',
    '  workgroupBarrier();',
    '  if (owner) {',
    '    for (var j = 0u; j < min(BK, params.nk - start); j++) {',
    '      let s = sTile[r * BK + j];',
  );
  emit(8, c.modulated ? 'let pos = (qBits & keyBits[start + j]) != 0u;' : 'let pos = false;');
  emit(8, 'mxP = max(mxP, select(LOWEST, s, pos));', 'mxA = max(mxA, s);', 'mn = min(mn, s);');
  emit(6, '}', '  }', '}');
  emit(2, c.modulated ? 'let a = strength * sizeReg[g];' : 'let a = 0.0;');
  emit(
    2,
    'let keep = 1.0 - a;',
    'let sP = mxP * params.scale;',
    'let sA = mxA * params.scale;',
    'let bias = a * (sA - mn * params.scale);',
    // The exact max of x: the region max + bias, or keep · the row max (keep, bias ≥ 0).
    'let mx = max(select(LOWEST, keep * sP + bias, mxP > LOWEST), keep * sA);',
    'var l = 0.0;',
    `let zero = ${result}();`,
  );
  for (let cI = 0; cI < oMats; cI++) emit(2, `var o${cI} = zero;`);
  emit(
    2,
    '// Pass 2: P = exp(x − max x) with the exact max; O += P·V on the matrix units.',
    'for (var start = 0u; start < params.nk; start += BK) {',
    '  workgroupBarrier();',
    '  stageKV(0u, kvBase, start, lid);',
    '  workgroupBarrier();',
    '  scores();',
    '  workgroupBarrier();',
    '  stageKV(1u, kvBase, start, lid);',
    '  if (owner) {',
    '    for (var j = 0u; j < BK; j++) {',
    '      var p = 0.0;',
    '      if (start + j < params.nk) {',
    '        let s = sTile[r * BK + j] * params.scale;',
  );
  emit(
    10,
    c.modulated ? 'let x = keep * s + select(0.0, bias, (qBits & keyBits[start + j]) != 0u);' : 'let x = keep * s;',
    'p = exp(x - mx);',
  );
  emit(
    8,
    '}',
    'l += p;',
    'pTile[r * BK + j] = Elem(p);',
    // Keys past the end: P = 0 (and V rows zero), so they add nothing.
  );
  emit(4, '  }', '  }', '  workgroupBarrier();');
  emit(4, `for (var kk = 0u; kk < BK; kk += ${K}u) {`);
  emit(6, `let p = subgroupMatrixLoad<${left}>(&pTile, kk, false, BK);`);
  for (let cI = 0; cI < oMats; cI++)
    // V[key, col] = kvTile[key·D + col]: row-major with stride D.
    emit(
      6,
      `o${cI} = subgroupMatrixMultiplyAccumulate(p, subgroupMatrixLoad<${right}>(&kvTile, kk * D + ${cI * N}u, false, D), o${cI});`,
    );
  emit(4, '}');
  emit(2, '}');
  emit(2, 'let inv = 1.0 / l;');
  // O matrices through the S tile (N ≤ BK columns at a time), divided by l per row, written in the storage type.
  for (let cI = 0; cI < oMats; cI++) {
    emit(2, 'workgroupBarrier();', `subgroupMatrixStore(&sTile, 0u, o${cI}, false, BK);`, 'workgroupBarrier();');
    emit(
      2,
      'if (owner && r < rows) {',
      `  for (var col = 0u; col < ${N}u; col++) {`,
      `    outData[qBase + r * params.channels + ${cI * N}u + col] = Elem(sTile[r * BK + col] * inv);`,
      '  }',
      '}',
    );
  }
  emit(0, '}');
  return lines.join('\n');
}
