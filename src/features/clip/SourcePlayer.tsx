import { useEffect, useRef, useState } from 'react';
import { useStore } from '../../state/store';
import { bulk } from '../../state/bulk';

/** Scrub the source clip; "Use as start" turns the playhead into the start frame. */
export function SourcePlayer({ onPickStart }: { onPickStart: (frame: number) => void }) {
  const sourceBytes = useStore((s) => s.sourceBytes);
  const projectId = useStore((s) => s.projectId);
  const fps = useStore((s) => s.probe?.fps ?? 30);
  const video = useRef<HTMLVideoElement>(null);
  const [url, setUrl] = useState<string | null>(null);
  const [playable, setPlayable] = useState(true);

  useEffect(() => {
    const bytes = bulk.source();
    if (!bytes) return;
    const next = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>]));
    setUrl(next);
    setPlayable(true);
    return () => URL.revokeObjectURL(next);
  }, [sourceBytes, projectId]);

  if (!url) return null;
  return (
    <div className="source-player">
      {playable ? (
        <video
          ref={video}
          src={url}
          controls
          muted
          playsInline
          data-testid="source-player"
          onError={() => setPlayable(false)}
        />
      ) : (
        <p className="hint">This browser cannot play the source codec; frames are still extracted with ffmpeg.</p>
      )}
      <button
        disabled={!playable}
        onClick={() => {
          if (video.current) onPickStart(Math.round(video.current.currentTime * fps));
        }}
      >
        Use playhead as start
      </button>
    </div>
  );
}
