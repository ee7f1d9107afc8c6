/**
 * The engine's one way to read a GPU buffer back (DESIGN §6: previews, final results, attention probes): a
 * MAP_READ staging buffer, destroyed on return, so no readback leaves a buffer behind.
 */

/** Copies `bytes` from the start of `src` to the CPU through a staging buffer (destroyed on return). */
export async function readBack(device: GPUDevice, src: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  if (bytes === 0) return new ArrayBuffer(0);
  const staging = device.createBuffer({
    label: 'readback staging',
    size: bytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  try {
    const encoder = device.createCommandEncoder({ label: 'readback' });
    encoder.copyBufferToBuffer(src, 0, staging, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const data = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    return data;
  } finally {
    staging.destroy();
  }
}
