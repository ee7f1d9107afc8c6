/**
 * The one place that names the models the app knows (DESIGN §1, §4): the default SD1.5 repository and the
 * ControlNet v1.1 repositories per structure condition, and the Hugging Face endpoint they resolve against.
 * Everything else (UI pickers, the CLI, tests) imports these names from here.
 */

export const HF_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';

/** SD1.5 in diffusers layout (the maintained mirror of runwayml/stable-diffusion-v1-5). */
export const DEFAULT_SD15_REPO = 'stable-diffusion-v1-5/stable-diffusion-v1-5';

export type ControlCondition = 'depth' | 'openpose' | 'canny';

export const CONTROLNET_REPOS: Readonly<Record<ControlCondition, string>> = {
  depth: 'lllyasviel/control_v11f1p_sd15_depth',
  openpose: 'lllyasviel/control_v11p_sd15_openpose',
  canny: 'lllyasviel/control_v11p_sd15_canny',
};

export interface CatalogEntry {
  readonly id: string;
  readonly kind: 'sd15' | 'controlnet';
  readonly repo: string;
  readonly label: string;
  readonly condition?: ControlCondition;
}

export const CATALOG: readonly CatalogEntry[] = [
  { id: 'sd15', kind: 'sd15', repo: DEFAULT_SD15_REPO, label: 'Stable Diffusion 1.5' },
  ...(Object.entries(CONTROLNET_REPOS) as [ControlCondition, string][]).map(([condition, repo]): CatalogEntry => ({
    id: `controlnet-${condition}`,
    kind: 'controlnet',
    repo,
    label: `ControlNet v1.1 ${condition}`,
    condition,
  })),
];

export function catalogEntry(id: string): CatalogEntry | undefined {
  return CATALOG.find((e) => e.id === id);
}
