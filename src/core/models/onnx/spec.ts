/**
 * What an ONNX-shipped model is (estimators, optical flow, segmenter): its files and the input/output names each
 * file's graph must have, and the public export the app downloads by default. The engine checks the names when it
 * opens a session, so a wrong file is refused by name instead of failing inside onnxruntime.
 */

export type OnnxModelPurpose = 'condition' | 'flow' | 'segment';

export interface OnnxFileSpec {
  /** What the file is for ("detector", "pose", "encoder"); the key of the resolved file map. */
  readonly role: string;
  /** Candidate paths inside the model folder, most preferred first. */
  readonly candidates: readonly string[];
  /** Names the graph's inputs and outputs must include (extra outputs are allowed). */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /**
   * 'named' (default): the names above must be there. 'positional': exports of one model name their values
   * differently, so only the number of inputs is checked (and at least one output); the runner feeds inputs in
   * order and the names above document what each position is.
   */
  readonly signature?: 'named' | 'positional';
}

export interface OnnxModelPreset {
  /** Hugging Face repo of the public export (`owner/name`). */
  readonly repo: string;
  readonly revision?: string;
  /** SPDX id or a short licence name, shown in the Models panel and the README. */
  readonly license: string;
  /** Total download size in bytes (for the quota check and the panel). */
  readonly bytes: number;
  /** Where the export and its licence are described. */
  readonly homepage: string;
}

export interface OnnxModelSpec<K extends string = string> {
  readonly kind: K;
  readonly label: string;
  readonly purpose: OnnxModelPurpose;
  readonly files: readonly OnnxFileSpec[];
  readonly preset: OnnxModelPreset;
  /** Where it runs: WebGPU on the engine's device, or onnxruntime's wasm CPU backend (small models). */
  readonly backend: 'webgpu' | 'wasm';
}
