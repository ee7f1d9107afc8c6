/**
 * The subgroup-matrix attention kernel (workers/engine/kernels/attention/matrix.ts), which no test adapter can
 * run (chromium-experimental-subgroup-matrix): its WGSL against the extension's syntax (Dawn's
 * docs/dawn/features/subgroup_matrix.md: left<T, K, M>, right<T, N, K>, result<T, N, M>;
 * subgroupMatrixLoad<T>(ptr, offset, col_major, stride)), its memory plan, which configs it accepts, and the
 * dispatch AttentionCore plans with it (BQ = M rows per workgroup).
 */
import { describe, expect, test } from 'vitest';
import {
  chooseMatrixKernel,
  matrixKernelPlan,
  matrixKernelProblem,
  matrixKernelSource,
  type SubgroupMatrixConfig,
} from '../../workers/engine/kernels/attention/matrix';
import { paramsStructWgsl } from '../../workers/engine/kernels/attention/shader';
import { planAttention } from '../../workers/engine/kernels/attention/plan';

const F16_8: SubgroupMatrixConfig = { componentType: 'f16', resultComponentType: 'f32', M: 8, N: 8, K: 8 };
const F32_8: SubgroupMatrixConfig = { componentType: 'f32', resultComponentType: 'f32', M: 8, N: 8, K: 8 };
const F16_16: SubgroupMatrixConfig = { componentType: 'f16', resultComponentType: 'f32', M: 16, N: 16, K: 16 };
const LIMITS = { maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256 };

describe('subgroup-matrix attention kernel', () => {
  test('WGSL: enables, matrix types in the extension order, QKᵀ (K column-major) and P·V (V row-major)', () => {
    const src = matrixKernelSource({
      headDim: 40,
      storage: 'f16',
      modulated: true,
      matrix: F16_8,
      subgroupMaxSize: 32,
      blockK: 32,
      paramsStruct: paramsStructWgsl(),
    });
    expect(src.split('\n').slice(0, 3)).toEqual([
      'enable f16;',
      'enable subgroups;',
      'enable chromium_experimental_subgroup_matrix;',
    ]);
    expect(src).toContain('@compute @workgroup_size(32)');
    expect(src).toContain('var<storage, read> kIn: array<Elem>;');
    // d / K = 5 multiply-accumulates per 8 keys, 4 key matrices per block of 32.
    expect(src).toContain('let q = subgroupMatrixLoad<subgroup_matrix_left<f16, 8, 8>>(&qTile, kk, false, D);');
    expect(src).toContain(
      's3 = subgroupMatrixMultiplyAccumulate(q, subgroupMatrixLoad<subgroup_matrix_right<f16, 8, 8>>(&kvTile, 24u * D + kk, true, D), s3);',
    );
    expect(src).toContain('subgroupMatrixStore(&sTile, 24u, s3, false, BK);');
    expect(src).not.toContain('var s4');
    // O: d / N = 5 result matrices in f32; P (f16) × V.
    expect(src).toContain('var o4 = zero;');
    expect(src).toContain('let zero = subgroup_matrix_result<f32, 8, 8>();');
    expect(src).toContain(
      'o4 = subgroupMatrixMultiplyAccumulate(p, subgroupMatrixLoad<subgroup_matrix_right<f16, 8, 8>>(&kvTile, kk * D + 32u, false, D), o4);',
    );
    expect(src).not.toContain('var o5');
    // Exact modulated max from pass 1, no online rescale; the region bits select the bias.
    expect(src).toContain('let x = keep * s + select(0.0, bias, (qBits & keyBits[start + j]) != 0u);');
    expect(src).toContain('let a = strength * sizeReg[g];');
    expect(src).not.toContain('corr');
    // Rows past the end read zeros and write nothing; the output in the storage type, divided by l.
    expect(src).toContain('if (owner && r < rows) {');
    expect(src).toContain('outData[qBase + r * params.channels + 32u + col] = Elem(sTile[r * BK + col] * inv);');
    // Balanced braces (a cheap syntax check of the generator).
    expect(src.split('{').length).toBe(src.split('}').length);
    const plain = matrixKernelSource({
      headDim: 80,
      storage: 'f32',
      modulated: false,
      matrix: F32_8,
      subgroupMaxSize: 32,
      blockK: 16,
      paramsStruct: paramsStructWgsl(),
    });
    expect(plain).not.toContain('keyBits');
    expect(plain).not.toContain('enable f16');
    expect(plain).toContain('let a = 0.0;');
    expect(plain).toContain('subgroup_matrix_left<f32, 8, 8>');
  });

  test('memory plan and applicability: component = storage, f32 accumulation, d a multiple of K and N, limits', () => {
    const base = { headDim: 160, storage: 'f16' as const, matrix: F16_8, subgroupMaxSize: 32 };
    // Q 8×160 + K/V 32×160 (f16) + S 8×32 (f32) + P 8×32 (f16).
    expect(matrixKernelPlan({ ...base, blockK: 32 })).toEqual({
      blockQ: 8,
      blockK: 32,
      threads: 32,
      workgroupBytes: 2560 + 10240 + 1024 + 512,
      resultMatrices: 20 + 4,
    });
    expect(matrixKernelProblem({ ...base, blockK: 32 }, LIMITS)).toBeUndefined();
    expect(matrixKernelProblem({ ...base, blockK: 64 }, LIMITS)).toMatch(/workgroup memory/);
    expect(matrixKernelProblem({ ...base, storage: 'f32', blockK: 32 }, LIMITS)).toMatch(/component type f16/);
    expect(
      matrixKernelProblem({ ...base, matrix: { ...F16_8, resultComponentType: 'f16' }, blockK: 32 }, LIMITS),
    ).toMatch(/accumulation must be f32/);
    expect(matrixKernelProblem({ ...base, headDim: 40, matrix: F16_16, blockK: 32 }, LIMITS)).toMatch(/multiple/);
    expect(matrixKernelProblem({ ...base, blockK: 12 }, LIMITS)).toMatch(/key block/);
    expect(matrixKernelProblem({ ...base, subgroupMaxSize: 4, blockK: 32 }, LIMITS)).toMatch(/subgroup size/);
    expect(() =>
      matrixKernelSource({ ...base, headDim: 40, matrix: F16_16, blockK: 32, modulated: false, paramsStruct: '' }),
    ).toThrow(/multiple/);
  });

  test('choice among the adapter configs: the first that fits, with the largest key block', () => {
    // 16×16×16 cannot take d = 40; 8×8×8 f16 can, with BK 64 (Q 640 + K/V 5120 + S 2048 + P 1024 bytes).
    expect(chooseMatrixKernel(40, 'f16', [F16_16, F16_8], 32, LIMITS)).toEqual({ matrix: F16_8, blockK: 64 });
    // d = 160 on 16×16×16: BK 32 needs 18,432 bytes (Q 5120 + K/V 10240 + S 2048 + P 1024) > 16 KiB, BK 16 fits.
    expect(chooseMatrixKernel(160, 'f16', [F16_16, F16_8], 32, LIMITS)).toEqual({ matrix: F16_16, blockK: 16 });
    // f32 storage needs an f32 config; none here.
    expect(chooseMatrixKernel(40, 'f32', [F16_16, F16_8], 32, LIMITS)).toBeUndefined();
    expect(chooseMatrixKernel(40, 'f16', [], 32, LIMITS)).toBeUndefined();
  });

  test('dispatch at the SD1.5 64×64 level: ⌈N/M⌉ row tiles × 8 heads × items, chunked under the dispatch limit', () => {
    const n = 65536;
    const plan = planAttention(
      { batch: 2, kvBatch: 2, queries: n, keys: n, heads: 8, headDim: 40 },
      { storage: 'f16', blockQ: 8, modulated: true, groups: 1 },
      {
        maxStorageBufferBindingSize: 1 << 30,
        maxBufferSize: 1 << 30,
        maxComputeWorkgroupsPerDimension: 65535,
        minStorageBufferOffsetAlignment: 256,
        minUniformBufferOffsetAlignment: 256,
      },
    );
    const workgroups = plan.chunks.reduce((a, c) => a + c.workgroups[0] * c.workgroups[1] * c.workgroups[2], 0);
    expect(workgroups).toBe((n / 8) * 8 * 2);
    expect(plan.chunks.every((c) => c.workgroups[0] <= 65535 && c.workgroups[1] === 8)).toBe(true);
  });
});
