/**
 * Projects in the browser (DESIGN §1: projects survive a reload). A project record is small JSON (settings,
 * metadata, regions…); bulk bytes (the source file, frames, masks, results) are blobs keyed
 * `<projectId>/<key>` so one project can be deleted with everything it owns.
 */
import { BLOBS, PROJECTS, openDb, request, transactionDone } from './idb';

export interface ProjectRecord {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Feature-owned JSON sections, e.g. `clip`, `regions`. Each feature reads and writes its own key. */
  readonly sections: Readonly<Record<string, unknown>>;
}

const blobKey = (projectId: string, key: string) => `${projectId}/${key}`;

export async function listProjects(): Promise<ProjectRecord[]> {
  const db = await openDb();
  const all = await request(db.transaction(PROJECTS).objectStore(PROJECTS).getAll() as IDBRequest<ProjectRecord[]>);
  return all.sort((a, b) => b.updatedAt - a.updatedAt);
}

export async function getProject(id: string): Promise<ProjectRecord | undefined> {
  const db = await openDb();
  return request(db.transaction(PROJECTS).objectStore(PROJECTS).get(id) as IDBRequest<ProjectRecord | undefined>);
}

export async function putProject(record: ProjectRecord): Promise<void> {
  const db = await openDb();
  const tx = db.transaction(PROJECTS, 'readwrite');
  tx.objectStore(PROJECTS).put(record);
  await transactionDone(tx);
}

/** Writes one section of a project record (read-modify-write in one transaction). */
export async function putSection(id: string, section: string, value: unknown): Promise<void> {
  const db = await openDb();
  const tx = db.transaction(PROJECTS, 'readwrite');
  const store = tx.objectStore(PROJECTS);
  const current = await request(store.get(id) as IDBRequest<ProjectRecord | undefined>);
  if (current) store.put({ ...current, updatedAt: Date.now(), sections: { ...current.sections, [section]: value } });
  await transactionDone(tx);
}

/**
 * Rewrites one section from its stored value in one transaction: a caller that changes one field of a section
 * cannot overwrite what another write stored in its other fields meanwhile. `update` returning undefined (for
 * instance: no such section) writes nothing.
 */
export async function updateSection<T>(
  id: string,
  section: string,
  update: (current: T | undefined) => T | undefined,
): Promise<void> {
  const db = await openDb();
  const tx = db.transaction(PROJECTS, 'readwrite');
  const store = tx.objectStore(PROJECTS);
  const current = await request(store.get(id) as IDBRequest<ProjectRecord | undefined>);
  const next = current ? update(current.sections[section] as T | undefined) : undefined;
  if (current && next !== undefined)
    store.put({ ...current, updatedAt: Date.now(), sections: { ...current.sections, [section]: next } });
  await transactionDone(tx);
}

export async function putBlob(projectId: string, key: string, data: Blob | Uint8Array): Promise<void> {
  const db = await openDb();
  const tx = db.transaction(BLOBS, 'readwrite');
  tx.objectStore(BLOBS).put(
    data instanceof Blob ? data : new Blob([data as Uint8Array<ArrayBuffer>]),
    blobKey(projectId, key),
  );
  await transactionDone(tx);
}

export async function getBlob(projectId: string, key: string): Promise<Blob | undefined> {
  const db = await openDb();
  return request(db.transaction(BLOBS).objectStore(BLOBS).get(blobKey(projectId, key)) as IDBRequest<Blob | undefined>);
}

/** Deletes every blob of a project whose key starts with `prefix` ('' = all of them). */
export async function deleteBlobs(projectId: string, prefix = ''): Promise<void> {
  const db = await openDb();
  const tx = db.transaction(BLOBS, 'readwrite');
  const lower = blobKey(projectId, prefix);
  tx.objectStore(BLOBS).delete(IDBKeyRange.bound(lower, `${lower}\uffff`));
  await transactionDone(tx);
}

export async function deleteProject(id: string): Promise<void> {
  await deleteBlobs(id);
  const db = await openDb();
  const tx = db.transaction(PROJECTS, 'readwrite');
  tx.objectStore(PROJECTS).delete(id);
  await transactionDone(tx);
}
