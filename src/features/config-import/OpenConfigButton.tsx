import { useRef } from 'react';
import { useStore } from '../../state/store';
import { openConfigFolder, pickedFromDirectory, pickedFromInput } from './actions';

type DirectoryPicker = () => Promise<FileSystemDirectoryHandle>;

/**
 * "Open VideoGrain config…": the directory picker where the browser has one, else (and for tests) an
 * `<input webkitdirectory>` holding the folder's files.
 */
export function OpenConfigButton() {
  const busy = useStore((s) => s.tasks.length > 0);
  const input = useRef<HTMLInputElement>(null);
  const pick = async () => {
    const picker = (window as unknown as { showDirectoryPicker?: DirectoryPicker }).showDirectoryPicker;
    if (!picker) return input.current?.click();
    let dir: FileSystemDirectoryHandle;
    try {
      dir = await picker.call(window);
    } catch {
      return; // the user closed the picker
    }
    await openConfigFolder(await pickedFromDirectory(dir));
  };
  return (
    <>
      <button
        type="button"
        data-testid="open-config"
        disabled={busy}
        title="A folder with an official VideoGrain config.yaml, its frames (or video) and mask folders"
        onClick={() => void pick()}
      >
        Open VideoGrain config…
      </button>
      <input
        ref={input}
        type="file"
        hidden
        multiple
        {...{ webkitdirectory: '', directory: '' }}
        data-testid="open-config-input"
        onChange={(e) => {
          const files = [...(e.target.files ?? [])];
          e.target.value = '';
          if (files.length > 0) void openConfigFolder(pickedFromInput(files));
        }}
      />
    </>
  );
}
