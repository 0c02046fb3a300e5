/** Where reading starts or resumes: a byte offset at a record boundary and its physical line. */
export interface FilePosition {
  offset: number;
  line: number;
}

/** A raw record from a tokenizer: where it starts, where the next one starts, and its bytes or its problem. */
export interface RawRecord<T> {
  /** 1-based physical line where the record starts. */
  line: number;
  next: FilePosition;
  /** `null` when the record could not be tokenised; `problem` says why. */
  value: T | null;
  problem: string | null;
}

export const LF = 0x0a;
export const CR = 0x0d;

export const tooLarge = (maxBytes: number) => `record is larger than ${maxBytes} bytes`;
