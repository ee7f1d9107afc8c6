/**
 * A minimal protocol-buffers writer (encoding spec: https://protobuf.dev/programming-guides/encoding/).
 * Messages are built as field lists, sized recursively, then written once into one buffer, so large
 * `bytes` fields (tensor raw_data) are copied exactly once. Only what onnx.proto (proto2) needs:
 * varint (wire type 0), 64-bit (1, unused), length-delimited (2) and 32-bit (5). Repeated scalars are
 * written unpacked, proto2's default encoding (parsers accept both).
 */

export type ProtoField =
  | { readonly no: number; readonly kind: 'varint'; readonly value: number | bigint }
  | { readonly no: number; readonly kind: 'float'; readonly value: number }
  | { readonly no: number; readonly kind: 'bytes'; readonly value: Uint8Array }
  | { readonly no: number; readonly kind: 'message'; readonly value: ProtoMessage };

export class ProtoMessage {
  readonly fields: ProtoField[] = [];
  private cachedSize = -1;

  varint(no: number, value: number | bigint): this {
    this.fields.push({ no, kind: 'varint', value });
    return this;
  }
  float(no: number, value: number): this {
    this.fields.push({ no, kind: 'float', value });
    return this;
  }
  string(no: number, value: string): this {
    this.fields.push({ no, kind: 'bytes', value: new TextEncoder().encode(value) });
    return this;
  }
  bytes(no: number, value: Uint8Array): this {
    this.fields.push({ no, kind: 'bytes', value });
    return this;
  }
  message(no: number, value: ProtoMessage): this {
    this.fields.push({ no, kind: 'message', value });
    return this;
  }

  size(): number {
    if (this.cachedSize >= 0) return this.cachedSize;
    let n = 0;
    for (const f of this.fields) {
      n += varintSize(BigInt(f.no << 3));
      switch (f.kind) {
        case 'varint':
          n += varintSize(toUint64(f.value));
          break;
        case 'float':
          n += 4;
          break;
        case 'bytes':
          n += varintSize(BigInt(f.value.byteLength)) + f.value.byteLength;
          break;
        case 'message': {
          const s = f.value.size();
          n += varintSize(BigInt(s)) + s;
          break;
        }
      }
    }
    this.cachedSize = n;
    return n;
  }

  encode(): Uint8Array {
    const out = new Uint8Array(this.size());
    const end = writeMessage(this, out, 0);
    if (end !== out.byteLength) throw new Error(`protobuf writer: wrote ${end} of ${out.byteLength} bytes`);
    return out;
  }
}

const WIRE = { varint: 0, float: 5, bytes: 2, message: 2 } as const;

/** Negative int64 values are encoded as their 64-bit two's complement (10 bytes), per the spec. */
function toUint64(v: number | bigint): bigint {
  const b = typeof v === 'bigint' ? v : BigInt(v);
  return b < 0n ? b + (1n << 64n) : b;
}

function varintSize(v: bigint): number {
  let n = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    n++;
  }
  return n;
}

function writeVarint(v: bigint, out: Uint8Array, pos: number): number {
  while (v >= 0x80n) {
    out[pos++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  out[pos++] = Number(v);
  return pos;
}

function writeMessage(m: ProtoMessage, out: Uint8Array, pos: number): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (const f of m.fields) {
    pos = writeVarint(BigInt((f.no << 3) | WIRE[f.kind]), out, pos);
    switch (f.kind) {
      case 'varint':
        pos = writeVarint(toUint64(f.value), out, pos);
        break;
      case 'float':
        view.setFloat32(pos, f.value, true);
        pos += 4;
        break;
      case 'bytes':
        pos = writeVarint(BigInt(f.value.byteLength), out, pos);
        out.set(f.value, pos);
        pos += f.value.byteLength;
        break;
      case 'message':
        pos = writeVarint(BigInt(f.value.size()), out, pos);
        pos = writeMessage(f.value, out, pos);
        break;
    }
  }
  return pos;
}
