import { useRef, useState } from 'react';
import { useStore } from '../../state/store';
import { clipRequestProblems, outputSize } from '../../core/clip/settings';
import { exportMp4, extractFrames, openClipFile } from './actions';
import { SourcePlayer } from './SourcePlayer';
import { OpenConfigButton } from '../config-import/OpenConfigButton';
import type { FrameSizing } from '../../core/protocol/video';
import { installClipAutosave } from './autosave';

installClipAutosave();

const SIZES: { label: string; sizing: FrameSizing }[] = [
  { label: '512 × 512 (crop)', sizing: { mode: 'square', size: 512 } },
  { label: '384 × 384 (crop)', sizing: { mode: 'square', size: 384 } },
  { label: '256 × 256 (crop)', sizing: { mode: 'square', size: 256 } },
  { label: '128 × 128 (crop)', sizing: { mode: 'square', size: 128 } },
  // A quick draft (and what tests with tiny models use): 8×8 latents.
  { label: '64 × 64 (draft)', sizing: { mode: 'square', size: 64 } },
  { label: 'Short side 512, keep aspect', sizing: { mode: 'aspect', shortSide: 512 } },
];
const sizingKey = (s: FrameSizing) => (s.mode === 'square' ? `square-${s.size}` : `aspect-${s.shortSide}`);

/** Open a clip, pick which frames to edit, extract and export them. */
export function ClipPanel() {
  const probe = useStore((s) => s.probe);
  const sourceName = useStore((s) => s.sourceName);
  const clip = useStore((s) => s.clip);
  const frames = useStore((s) => s.frames);
  const busy = useStore((s) => s.tasks.length > 0);
  const setClip = useStore((s) => s.setClipSettings);
  const fileInput = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const problems = probe ? clipRequestProblems(clip, probe.frameCount) : [];
  const size = probe ? outputSize(clip.sizing, probe.width, probe.height) : null;

  const onFiles = (files: FileList | null) => {
    const file = files?.[0];
    if (file) void openClipFile(file);
  };
  const num = (v: string) => (v === '' ? NaN : Number(v));

  return (
    <section
      className={`clip-panel${dragging ? ' dragging' : ''}`}
      data-testid="clip-panel"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        onFiles(e.dataTransfer.files);
      }}
    >
      <h2>Clip</h2>
      <button onClick={() => fileInput.current?.click()} disabled={busy}>
        Open clip…
      </button>{' '}
      <OpenConfigButton />
      <input
        ref={fileInput}
        type="file"
        accept="video/*,.mp4,.mov,.webm,.mkv,.avi"
        hidden
        data-testid="open-clip-input"
        onChange={(e) => {
          onFiles(e.target.files);
          e.target.value = '';
        }}
      />
      <p className="hint">or drop a video file here</p>
      {probe && (
        <>
          <p className="clip-info" data-testid="clip-info">
            {sourceName}: {probe.width}×{probe.height}
            {probe.rotation ? ` (rotated ${probe.rotation}°)` : ''}, {probe.fps.toFixed(2)} fps, {probe.frameCount}{' '}
            frames, {probe.durationSec.toFixed(1)} s, {probe.codec}
            {probe.hasAudio ? ', with audio' : ''}
          </p>
          <SourcePlayer onPickStart={(frame) => setClip({ start: frame })} />
          <div className="clip-controls" data-testid="clip-controls">
            <label>
              Start frame
              <input
                type="number"
                min={0}
                value={clip.start}
                data-testid="clip-start"
                onChange={(e) => setClip({ start: num(e.target.value) })}
              />
            </label>
            <label>
              Frames
              <input
                type="number"
                min={1}
                max={64}
                value={clip.frames}
                data-testid="clip-frames"
                onChange={(e) => setClip({ frames: num(e.target.value) })}
              />
            </label>
            <label>
              Stride
              <input
                type="number"
                min={1}
                value={clip.stride}
                data-testid="clip-stride"
                onChange={(e) => setClip({ stride: num(e.target.value) })}
              />
            </label>
            <label>
              Size
              <select
                value={sizingKey(clip.sizing)}
                data-testid="clip-size"
                onChange={(e) => setClip({ sizing: SIZES.find((s) => sizingKey(s.sizing) === e.target.value)!.sizing })}
              >
                {SIZES.map((s) => (
                  <option key={sizingKey(s.sizing)} value={sizingKey(s.sizing)}>
                    {s.label}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {size && (
            <p className="hint">
              Output: {clip.frames} frames of {size.width}×{size.height}
            </p>
          )}
          {problems.map((p) => (
            <p key={p} className="problem" data-testid="clip-problem">
              {p}
            </p>
          ))}
          <div className="clip-actions">
            <button data-testid="extract" disabled={busy || problems.length > 0} onClick={() => void extractFrames()}>
              Extract frames
            </button>
            <button data-testid="export-mp4" disabled={busy || !frames} onClick={() => void exportMp4()}>
              Export MP4
            </button>
          </div>
        </>
      )}
    </section>
  );
}
