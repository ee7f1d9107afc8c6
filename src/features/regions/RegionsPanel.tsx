import { useRef } from 'react';
import { useStore } from '../../state/store';
import type { RegionKind } from '../../core/regions/model';
import * as actions from './actions';
import { exportMaskedPreview, exportMasksZip, importMaskFiles } from './import-export';
import { PromptEditor } from './PromptEditor';
import { installRegions } from './install';
import '../masks/masks.css';
import './regions.css';

// Restoring regions must be registered before the first project opens (module load, before start-up runs).
installRegions();

/** Regions list (add, rename, recolour, reorder, hide, delete, kind, prompt), import/export and prompts. */
export function RegionsPanel() {
  const regions = useStore((s) => s.regions);
  const selected = useStore((s) => s.selectedRegionId);
  const selectRegion = useStore((s) => s.selectRegion);
  const hasFrames = useStore((s) => s.frames !== null);
  const folderInput = useRef<HTMLInputElement>(null);
  const filesInput = useRef<HTMLInputElement>(null);

  const onFiles = (list: FileList | null, input: HTMLInputElement | null) => {
    const files = list ? [...list] : [];
    if (input) input.value = '';
    if (files.length > 0) void importMaskFiles(files);
  };

  return (
    <div className="regions-panel" data-testid="regions-panel">
      <h3>Regions</h3>
      <div className="region-add">
        <button type="button" data-testid="add-instance" onClick={() => actions.addRegion('instance')}>
          + Instance
        </button>
        <button
          type="button"
          data-testid="add-part"
          disabled={!regions.some((r) => r.kind === 'instance')}
          onClick={() =>
            actions.addRegion(
              'part',
              regions.find((r) => r.id === selected && r.kind === 'instance')?.id ??
                regions.find((r) => r.kind === 'instance')?.id ??
                null,
            )
          }
        >
          + Part
        </button>
        <button type="button" data-testid="add-background" onClick={() => actions.addRegion('background')}>
          + Background
        </button>
      </div>
      <ol className="region-list">
        {regions.map((r, index) => (
          <li
            key={r.id}
            className={`region${r.id === selected ? ' selected' : ''}`}
            data-testid={`region-${index}`}
            data-region-id={r.id}
            onClick={() => selectRegion(r.id)}
          >
            <div className="region-row">
              <input
                type="color"
                value={r.color}
                data-testid="region-color"
                aria-label="Colour"
                onChange={(e) => actions.recolorRegion(r.id, e.target.value)}
              />
              <input
                className="region-name"
                value={r.name}
                data-testid="region-name"
                aria-label="Name"
                title={r.name}
                onChange={(e) => actions.renameRegion(r.id, e.target.value)}
              />
              <button
                type="button"
                data-testid="region-hide"
                aria-pressed={r.hidden}
                title={r.hidden ? 'Show' : 'Hide'}
                onClick={() => actions.setRegionHidden(r.id, !r.hidden)}
              >
                {r.hidden ? '◌' : '●'}
              </button>
              <button
                type="button"
                data-testid="region-up"
                disabled={index === 0}
                title="Move up"
                onClick={() => actions.moveRegion(r.id, index - 1)}
              >
                ↑
              </button>
              <button
                type="button"
                data-testid="region-down"
                disabled={index === regions.length - 1}
                title="Move down"
                onClick={() => actions.moveRegion(r.id, index + 1)}
              >
                ↓
              </button>
              <button
                type="button"
                data-testid="region-delete"
                title="Delete"
                onClick={() => actions.deleteRegion(r.id)}
              >
                ✕
              </button>
            </div>
            <div className="region-row">
              <select
                value={r.kind}
                data-testid="region-kind"
                aria-label="Kind"
                onChange={(e) =>
                  actions.setRegionKind(
                    r.id,
                    e.target.value as RegionKind,
                    e.target.value === 'part'
                      ? (regions.find((o) => o.kind === 'instance' && o.id !== r.id)?.id ?? null)
                      : null,
                  )
                }
              >
                <option value="instance">instance</option>
                <option value="part">part</option>
                <option value="background">background</option>
              </select>
              {r.kind === 'part' && (
                <select
                  value={r.parentId ?? ''}
                  data-testid="region-parent"
                  aria-label="Part of"
                  onChange={(e) => actions.setRegionKind(r.id, 'part', e.target.value || null)}
                >
                  <option value="">(no parent)</option>
                  {regions
                    .filter((o) => o.kind === 'instance' && o.id !== r.id)
                    .map((o) => (
                      <option key={o.id} value={o.id}>
                        {o.name}
                      </option>
                    ))}
                </select>
              )}
            </div>
            <input
              className="region-prompt"
              placeholder="Region prompt, e.g. Iron Man"
              value={r.prompt}
              data-testid="region-prompt"
              onChange={(e) => actions.setRegionPrompt(r.id, e.target.value)}
            />
          </li>
        ))}
      </ol>
      <div className="region-io">
        <button
          type="button"
          data-testid="import-mask-folder"
          disabled={!hasFrames}
          onClick={() => folderInput.current?.click()}
        >
          Import mask folder…
        </button>
        <button
          type="button"
          data-testid="import-mask-files"
          disabled={!hasFrames}
          onClick={() => filesInput.current?.click()}
        >
          Import PNGs / ZIP…
        </button>
        <button
          type="button"
          data-testid="export-masks"
          disabled={regions.length === 0}
          onClick={() => exportMasksZip()}
        >
          Export masks (ZIP)
        </button>
        <button
          type="button"
          data-testid="export-masked-preview"
          disabled={!hasFrames || regions.length === 0}
          onClick={() => void exportMaskedPreview()}
        >
          Masked preview MP4
        </button>
        <input
          ref={folderInput}
          type="file"
          hidden
          data-testid="import-mask-folder-input"
          {...{ webkitdirectory: '', directory: '' }}
          multiple
          onChange={(e) => onFiles(e.target.files, e.target)}
        />
        <input
          ref={filesInput}
          type="file"
          hidden
          data-testid="import-mask-input"
          accept=".png,.zip,image/png,application/zip"
          multiple
          onChange={(e) => onFiles(e.target.files, e.target)}
        />
      </div>
      <PromptEditor />
    </div>
  );
}
