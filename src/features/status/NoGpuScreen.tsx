import { useStore } from '../../state/store';

/** Shown when WebGPU is missing or too limited: what is wrong, what to do, and a way to keep using clip tools. */
export function NoGpuScreen({ onContinue }: { onContinue: () => void }) {
  const engine = useStore((s) => s.engine);
  if (engine.state !== 'unavailable') return null;
  return (
    <div className="no-gpu" role="alertdialog" aria-labelledby="no-gpu-title" data-testid="no-gpu-screen">
      <h1 id="no-gpu-title">This browser cannot run the editor on your GPU</h1>
      <p>{engine.message}</p>
      <ul>
        <li>Use a recent desktop Chrome or Edge (version 113 or newer) with hardware acceleration on.</li>
        <li>
          On Linux, start Chrome with <code>--enable-unsafe-webgpu</code> (and Vulkan) if WebGPU is still off by
          default.
        </li>
        <li>Editing needs about 4 GiB of free GPU memory for 16 frames at 512×512.</li>
      </ul>
      <button onClick={onContinue} data-testid="continue-without-gpu">
        Continue with clip tools only
      </button>
    </div>
  );
}
