import { useRef } from 'react';
import type { ModelKind } from '../../core/models/files';
import type { ModelSourceChoice } from '../../state/slices/models';
import { needsRepick, setLocalFolder } from './actions';

type DirectoryPicker = () => Promise<FileSystemDirectoryHandle>;

/** Source type + repo id / base URL field, or a folder picker (directory picker, else webkitdirectory input). */
export function SourceFields({
  kind,
  choice,
  disabled,
  onChange,
}: {
  kind: ModelKind;
  choice: ModelSourceChoice;
  disabled: boolean;
  onChange: (choice: ModelSourceChoice) => void;
}) {
  const folderInput = useRef<HTMLInputElement>(null);
  const picker = (window as unknown as { showDirectoryPicker?: DirectoryPicker }).showDirectoryPicker;

  const pickFolder = async () => {
    if (!picker) return folderInput.current?.click();
    try {
      const handle = await picker.call(window);
      setLocalFolder(kind, { handle }, handle.name);
    } catch {
      // the user closed the picker
    }
  };
  const onFiles = (list: FileList | null) => {
    const files = [...(list ?? [])];
    if (files.length === 0) return;
    const name = files[0]!.webkitRelativePath.split('/')[0] || files[0]!.name;
    setLocalFolder(kind, { files }, name);
  };

  return (
    <div className="model-source">
      <select
        value={choice.type}
        disabled={disabled}
        data-testid={`model-source-type-${kind}`}
        aria-label="Source type"
        onChange={(e) => onChange({ type: e.target.value as ModelSourceChoice['type'], value: '' })}
      >
        <option value="hf">Hugging Face repo</option>
        <option value="url">Base URL</option>
        <option value="local">Local folder</option>
      </select>
      {choice.type === 'local' ? (
        <>
          {needsRepick(kind) && (
            <div className="model-repick" role="status" data-testid={`model-repick-${kind}`}>
              The folder “{choice.value}” must be picked again after a reload (the browser does not keep folder access).{' '}
              <button onClick={() => void pickFolder()} disabled={disabled} data-testid={`model-repick-button-${kind}`}>
                Pick “{choice.value}” again…
              </button>
            </div>
          )}
          <button onClick={() => void pickFolder()} disabled={disabled} data-testid={`model-folder-${kind}`}>
            {choice.value ? `Folder: ${choice.value}` : 'Choose folder…'}
          </button>
          <input
            ref={folderInput}
            type="file"
            hidden
            multiple
            {...{ webkitdirectory: '' }}
            data-testid={`model-folder-input-${kind}`}
            onChange={(e) => onFiles(e.target.files)}
          />
        </>
      ) : (
        <input
          type="text"
          value={choice.value}
          disabled={disabled}
          spellCheck={false}
          data-testid={`model-source-${kind}`}
          aria-label={choice.type === 'hf' ? 'Repo id' : 'Base URL'}
          placeholder={choice.type === 'hf' ? 'owner/name[@revision]' : 'https://host/path/to/model'}
          onChange={(e) => onChange({ ...choice, value: e.target.value })}
        />
      )}
    </div>
  );
}
