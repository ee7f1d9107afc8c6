/** The error a promise rejects with (typed errors keep `code`/`details`); fails if it resolves. */
export async function rejection(
  p: Promise<unknown>,
): Promise<{ code?: string; message: string; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message: string; details?: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
}
