/** Page start-up: engine status, then the most recent project comes back (projects survive a reload). */
import { useStore } from '../state/store';
import { services } from './services';
import { refreshProjectList, openProject } from '../features/projects/actions';

export async function startApp(): Promise<void> {
  const engine = services.engine();
  void engine
    .init((status) => useStore.getState().setEngineStatus(status))
    .catch((e: unknown) =>
      useStore
        .getState()
        .setEngineStatus({ state: 'unavailable', code: 'worker-failed', message: (e as Error).message }),
    );
  try {
    const projects = await refreshProjectList();
    const last = localStorage.getItem('videograin.lastProject');
    const toOpen = projects.find((p) => p.id === last) ?? projects[0];
    if (toOpen) await openProject(toOpen.id);
  } catch (e) {
    useStore.getState().notify('error', `Saved projects could not be read: ${(e as Error).message}`, 'STORAGE');
  } finally {
    useStore.setState({ restored: true });
  }
}
