/**
 * `videograin layout --config <videograin.yaml> [--json]` (DESIGN §9): the token spans of the region prompts
 * and the ST-Layout statistics per modulated resolution, from an official VideoGrain config.
 */
import { CliUsageError, type CliCommand } from '../command';
import { intOption, parseCliArgs } from '../args';
import { readVideoGrainConfig } from '../config/videograin-yaml';
import { loadLayoutMasks, resolveFrameSource } from '../config/layout-input';
import { DEFAULT_TOKENIZER_DIR, loadClipTokenizer } from '../config/tokenizer-files';
import { compileLayout } from '../../src/core/layout/compile';
import { blendCoverage, resolutionStats, type RangeStats } from '../../src/core/layout/stats';
import type { CompiledLayout } from '../../src/core/layout/types';
import { formatTokens } from '../../src/core/prompt/spans';
import type { ClipTokenizer } from '../../src/core/tokenizer/clip';
import { hasCode } from '../../src/core/protocol/errors';

const USAGE = `usage: videograin layout --config <videograin.yaml> [options]

Token spans of the region prompts and ST-Layout statistics of an official VideoGrain config.

options:
  --config <file>        VideoGrain YAML (paths inside are relative to it)
  --json                 print one JSON object (DESIGN §9) instead of the report
  --edit <k>             which editing_config.editing_prompts entry (default 0)
  --size <S>             edited frame size, S×S after short-side scale + centre crop (default 512)
  --all-resolutions      also the latent-size resolution (modulateAllResolutions)
  --source-size <WxH>    source frame size when dataset_config.path is a video (default: the masks' size)
  --tokenizer <dir>      tokenizer.json or vocab.json + merges.txt (default ${DEFAULT_TOKENIZER_DIR})`;

export interface LayoutJson {
  regions: { name: string; prompt: string; tokens: number[]; error?: string }[];
  resolutions: {
    size: [number, number];
    tokens: number;
    tokensInNoRegion: number;
    selfPositivePairs: number;
    selfSizeReg: RangeStats | null;
    selfSizeRegFixed: RangeStats | null;
    crossSizeReg: RangeStats | null;
  }[];
  blendCoverage: number;
  errors: string[];
  warnings: string[];
}

function sizeOption(value: string | undefined): { width: number; height: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)x(\d+)$/.exec(value);
  if (!m) throw new CliUsageError(`--source-size must be WxH (e.g. 854x480), got "${value}"`);
  return { width: Number(m[1]), height: Number(m[2]) };
}

function toJson(layout: CompiledLayout, names: readonly string[], extraWarnings: readonly string[]): LayoutJson {
  return {
    regions: layout.prompts.regions.map((r, i) => {
      const error = layout.issues.find((x) => x.region === i && x.severity === 'error');
      const tokens = r.span ? Array.from({ length: r.span.length }, (_, k) => r.span!.start + k) : [];
      return { name: names[i] ?? `region ${i}`, prompt: r.prompt, tokens, ...(error ? { error: error.message } : {}) };
    }),
    resolutions: layout.resolutions.map(resolutionStats),
    blendCoverage: blendCoverage(layout),
    errors: layout.issues.filter((i) => i.severity === 'error').map((i) => i.message),
    warnings: [...extraWarnings, ...layout.issues.filter((i) => i.severity === 'warning').map((i) => i.message)],
  };
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const range = (s: RangeStats | null) => (s ? `${s.min.toFixed(4)}/${s.mean.toFixed(4)}/${s.max.toFixed(4)}` : '-');

function report(json: LayoutJson, layout: CompiledLayout, tokenizer: ClipTokenizer, target: string): string {
  const lines = [`target prompt: ${JSON.stringify(target)}`];
  const ids = layout.prompts.targetIds;
  let end = 1;
  while (end < 76 && ids[end] !== 49407) end++;
  lines.push(`  tokens ${formatTokens(tokenizer, ids.subarray(1, end), 1)}`, '', 'regions:');
  json.regions.forEach((r, i) => {
    const span = layout.prompts.regions[i]?.span;
    const owned = span
      ? `tokens ${span.start}..${span.start + span.length - 1} ${formatTokens(tokenizer, ids.subarray(span.start, span.start + span.length))}`
      : r.prompt
        ? 'NOT FOUND'
        : 'no prompt';
    lines.push(`  ${i} ${r.name.padEnd(12)} ${JSON.stringify(r.prompt).padEnd(24)} ${owned}`);
  });
  lines.push(
    '',
    'resolution  tokens  no-region  self R=1 pairs  selfSizeReg min/mean/max  fixed min/mean/max      cross min/mean/max',
  );
  for (const r of json.resolutions)
    lines.push(
      `${`${r.size[0]}×${r.size[1]}`.padEnd(11)} ${String(r.tokens).padStart(6)}  ${String(r.tokensInNoRegion).padStart(9)}  ` +
        `${String(r.selfPositivePairs).padStart(14)}  ${range(r.selfSizeReg).padEnd(24)}  ${range(r.selfSizeRegFixed).padEnd(22)}  ${range(r.crossSizeReg)}`,
    );
  lines.push('', `blend coverage (latent grid): ${pct(json.blendCoverage)}`);
  for (const w of json.warnings) lines.push(`warning: ${w}`);
  for (const e of json.errors) lines.push(`error: ${e}`);
  return lines.join('\n');
}

const emptyJson = (error: string): LayoutJson => ({
  regions: [],
  resolutions: [],
  blendCoverage: 0,
  errors: [error],
  warnings: [],
});

const command: CliCommand = {
  name: 'layout',
  summary: 'token spans and ST-Layout statistics of a VideoGrain config',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const { values } = parseCliArgs(argv, {
      config: { type: 'string' },
      json: { type: 'boolean' },
      edit: { type: 'string' },
      size: { type: 'string' },
      'all-resolutions': { type: 'boolean' },
      'source-size': { type: 'string' },
      tokenizer: { type: 'string' },
    });
    const asJson = values.json === true;
    try {
      if (!values.config) throw new CliUsageError('--config <videograin.yaml> is required');
      const size = intOption(values.size, 'size', 512, 64, 4096);
      if (size % 64 !== 0) throw new CliUsageError(`--size must be a multiple of 64, got ${size}`);
      const config = readVideoGrainConfig(values.config);
      const editIndex = intOption(values.edit, 'edit', 0, 0, config.editingPrompts.length - 1);
      const edit = config.editingPrompts[editIndex]!;
      const tokenizer = loadClipTokenizer(values.tokenizer ?? DEFAULT_TOKENIZER_DIR);
      const source = resolveFrameSource(config, sizeOption(values['source-size']));
      const { masks, warnings } = loadLayoutMasks(config, source, size);
      const extra = [...warnings];
      if (source.sizeFrom === 'masks')
        extra.push(
          `source frame size ${source.sourceSize.width}×${source.sourceSize.height} taken from the masks (pass --source-size)`,
        );
      if (config.editingPrompts.length > 1)
        extra.push(`${config.editingPrompts.length} edits in editing_prompts; showing edit ${editIndex} (--edit k)`);
      const layout = compileLayout({
        masks,
        tokenizer,
        targetPrompt: edit.target,
        regionPrompts: edit.regions,
        modulateAllResolutions: values['all-resolutions'] === true,
      });
      const json = toJson(layout, config.layoutMaskOrder, extra);
      console.log(asJson ? JSON.stringify(json) : report(json, layout, tokenizer, edit.target));
      if (json.errors.length === 0) return 0;
      const more = json.errors.length > 1 ? ` (+${json.errors.length - 1} more)` : '';
      console.error(`videograin layout: ${json.errors[0]}${more}`);
      return 2;
    } catch (e) {
      // Bad input: one line on stderr (and the errors field when --json), exit 2.
      if (!(e instanceof CliUsageError) && !hasCode(e, 'TOKENIZER_INVALID', 'MASKS_INVALID')) throw e;
      const message = (e as Error).message;
      if (asJson) console.log(JSON.stringify(emptyJson(message)));
      throw e instanceof CliUsageError ? e : new CliUsageError(message);
    }
  },
};

export default command;
