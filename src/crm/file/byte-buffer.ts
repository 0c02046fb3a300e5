/** A growable byte buffer that is reused record after record. */
export class ByteBuffer {
  #bytes = Buffer.allocUnsafe(256);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(byte: number): void {
    this.#reserve(1);
    this.#bytes[this.#length++] = byte;
  }

  append(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#bytes.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  /** Drops the last byte when it equals `byte` (the CR of a CRLF). */
  dropLast(byte: number): void {
    if (this.#length > 0 && this.#bytes[this.#length - 1] === byte) this.#length -= 1;
  }

  /** Returns a copy of the content and empties the buffer. */
  take(): Buffer {
    const out = Buffer.from(this.#bytes.subarray(0, this.#length));
    this.#length = 0;
    return out;
  }

  clear(): void {
    this.#length = 0;
  }

  #reserve(extra: number): void {
    if (this.#length + extra <= this.#bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#bytes.length * 2, this.#length + extra));
    this.#bytes.copy(grown, 0, 0, this.#length);
    this.#bytes = grown;
  }
}
