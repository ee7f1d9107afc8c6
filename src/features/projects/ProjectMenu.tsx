import { useState } from 'react';
import { useStore } from '../../state/store';
import { deleteProject, openProject, renameProject } from './actions';
import { runTask } from '../tasks/run-task';

/** Project switcher: the open project's name (editable), other saved projects, delete. */
export function ProjectMenu() {
  const projects = useStore((s) => s.projects);
  const projectId = useStore((s) => s.projectId);
  const projectName = useStore((s) => s.projectName);
  const [draft, setDraft] = useState<string | null>(null);
  return (
    <div className="project-menu">
      <input
        aria-label="Project name"
        data-testid="project-name"
        value={draft ?? projectName}
        disabled={!projectId}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={() => {
          if (projectId && draft !== null && draft.trim()) void renameProject(projectId, draft.trim());
          setDraft(null);
        }}
      />
      <select
        aria-label="Open project"
        data-testid="project-select"
        value={projectId ?? ''}
        onChange={(e) => void runTask('open-project', 'Opening project', () => openProject(e.target.value))}
      >
        {projectId === null && <option value="">No project</option>}
        {projects.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
      </select>
      <button
        data-testid="delete-project"
        disabled={!projectId}
        onClick={() => {
          if (projectId && confirm(`Delete the project "${projectName}" and everything in it?`)) {
            void runTask('delete-project', 'Deleting project', () => deleteProject(projectId));
          }
        }}
      >
        Delete
      </button>
    </div>
  );
}
