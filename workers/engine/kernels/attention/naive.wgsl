// naive.wgsl — materialized attention, the benchmark baseline (bench/attention.browser.ts); not used by the engine.
//
// Three entry points over Q [B, Nq, H·d], K/V [B, Nk, H·d] (channel = h·d + j), plain attention:
//   scores:  S[b, h, q, k] = q·k / √d                  (one invocation per score; S is B·H·Nq·Nk floats)
//   softmax: S[b, h, q, :] = softmax(S[b, h, q, :])     (one invocation per row)
//   pv:      O[b, q, h·d + j] = Σ_k S[b, h, q, k] · V   (one invocation per output value)
// Tiling: none; 1-D work index = (wg.y · gridX + wg.x) · 64 + lid, so large counts use a 2-D grid.
// Bindings (group 0): 0 uniform Params, 1 Q, 2 K, 3 V (read), 4 S (read_write), 5 O (read_write).

struct Params {
  batch: u32,
  nq: u32,
  nk: u32,
  heads: u32,
  headDim: u32,
  gridX: u32,
  scale: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> qData: array<f32>;
@group(0) @binding(2) var<storage, read> kData: array<f32>;
@group(0) @binding(3) var<storage, read> vData: array<f32>;
@group(0) @binding(4) var<storage, read_write> sData: array<f32>;
@group(0) @binding(5) var<storage, read_write> outData: array<f32>;

fn workIndex(wg: vec3u, lid: u32) -> u32 {
  return (wg.y * params.gridX + wg.x) * 64u + lid;
}

@compute @workgroup_size(64)
fn scores(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = workIndex(wg, lid);
  if (i >= params.batch * params.heads * params.nq * params.nk) {
    return;
  }
  let k = i % params.nk;
  let q = (i / params.nk) % params.nq;
  let h = (i / (params.nk * params.nq)) % params.heads;
  let b = i / (params.nk * params.nq * params.heads);
  let channels = params.heads * params.headDim;
  let qBase = (b * params.nq + q) * channels + h * params.headDim;
  let kBase = (b * params.nk + k) * channels + h * params.headDim;
  var dot = 0.0;
  for (var j = 0u; j < params.headDim; j++) {
    dot += qData[qBase + j] * kData[kBase + j];
  }
  sData[i] = dot * params.scale;
}

@compute @workgroup_size(64)
fn softmax(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = workIndex(wg, lid);
  if (row >= params.batch * params.heads * params.nq) {
    return;
  }
  let base = row * params.nk;
  var m = -3.0e38;
  for (var k = 0u; k < params.nk; k++) {
    m = max(m, sData[base + k]);
  }
  var sum = 0.0;
  for (var k = 0u; k < params.nk; k++) {
    let e = exp(sData[base + k] - m);
    sData[base + k] = e;
    sum += e;
  }
  for (var k = 0u; k < params.nk; k++) {
    sData[base + k] /= sum;
  }
}

@compute @workgroup_size(64)
fn pv(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = workIndex(wg, lid);
  let channels = params.heads * params.headDim;
  if (i >= params.batch * params.nq * channels) {
    return;
  }
  let c = i % channels;
  let q = (i / channels) % params.nq;
  let b = i / (channels * params.nq);
  let h = c / params.headDim;
  let base = ((b * params.heads + h) * params.nq + q) * params.nk;
  var acc = 0.0;
  for (var k = 0u; k < params.nk; k++) {
    acc += sData[base + k] * vData[(b * params.nk + k) * channels + c];
  }
  outData[i] = acc;
}
