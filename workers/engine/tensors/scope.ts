/**
 * Device tensors made for one job or one step, freed together however it ends (a failed or cancelled edit frees
 * its GPU memory: DESIGN §7).
 */
import type { DeviceTensor } from './device-tensor';

export class TensorScope {
  private readonly held: DeviceTensor[] = [];

  /** Takes `t` into the scope and returns it. */
  keep<T extends DeviceTensor>(t: T): T {
    this.held.push(t);
    return t;
  }

  dispose(): void {
    for (const t of this.held.splice(0)) t.dispose();
  }
}
