import { ByteBuffer } from './byte-buffer.ts';
import { CR, type FilePosition, LF, type RawRecord, tooLarge } from './position.ts';

const QUOTE = 0x22;
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const AFTER_QUOTE = 3;
/** A CR right after a closing quote: only the LF of a CRLF may follow. */
const AFTER_QUOTE_CR = 4;

export interface CsvTokenizerOptions {
  start: FilePosition;
  /** One ASCII byte. */
  delimiter: number;
  maxRecordBytes: number;
}

/**
 * RFC 4180 records from a byte stream, fields left as raw bytes so the caller
 * can reject invalid UTF-8 per record. Works on bytes because delimiter, quote,
 * CR and LF are ASCII and never occur inside a multi-byte UTF-8 sequence.
 *
 * A bad record never stops the stream: it comes out with a `problem`, and the
 * tokenizer carries on at the next line break outside quotes. A record over
 * `maxRecordBytes` stops being buffered (memory stays bounded) and is reported
 * whole. Blank lines are skipped; a lone CR is data.
 */
export async function* csvRecords(
  chunks: AsyncIterable<Buffer>,
  opts: CsvTokenizerOptions,
): AsyncGenerator<RawRecord<Buffer[]>> {
  const { delimiter, maxRecordBytes } = opts;
  const field = new ByteBuffer();
  let fields: Buffer[] = [];
  let state = FIELD_START;
  let { offset, line } = opts.start;
  let inRecord = false;
  let recordLine = line;
  let recordBytes = 0;
  let sawQuote = false;
  let oversize = false;
  let problem: string | null = null;

  const keep = (byte: number) => {
    if (!oversize) field.push(byte);
  };
  const endField = () => {
    if (oversize) field.clear();
    else fields.push(field.take());
  };
  const endRecord = (): RawRecord<Buffer[]> | null => {
    endField();
    const blank =
      !sawQuote && !oversize && problem === null && fields.length === 1 && fields[0]?.length === 0;
    const reason = oversize ? tooLarge(maxRecordBytes) : problem;
    const record = {
      line: recordLine,
      next: { offset, line },
      value: reason === null ? fields : null,
      problem: reason,
    };
    fields = [];
    state = FIELD_START;
    inRecord = sawQuote = oversize = false;
    problem = null;
    recordBytes = 0;
    return blank ? null : record;
  };

  for await (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      offset += 1;
      if (!inRecord) {
        inRecord = true;
        recordLine = line;
      }
      if (byte === LF) {
        line += 1;
        if (state !== QUOTED) {
          if (state === UNQUOTED) field.dropLast(CR);
          const record = endRecord();
          if (record) yield record;
          continue;
        }
      }
      recordBytes += 1;
      if (recordBytes > maxRecordBytes && !oversize) {
        oversize = true;
        fields = [];
        field.clear();
      }
      if (state === QUOTED) {
        if (byte === QUOTE) state = AFTER_QUOTE;
        else keep(byte);
      } else if (state === AFTER_QUOTE && byte === QUOTE) {
        keep(byte); // "" inside quotes is one "
        state = QUOTED;
      } else if (byte === delimiter) {
        endField();
        state = FIELD_START;
      } else if (state === AFTER_QUOTE && byte === CR) {
        state = AFTER_QUOTE_CR;
      } else if (state === AFTER_QUOTE || state === AFTER_QUOTE_CR) {
        problem ??= 'unexpected character after a closing quote';
        keep(byte);
        state = UNQUOTED;
      } else if (state === FIELD_START && byte === QUOTE) {
        sawQuote = true;
        state = QUOTED;
      } else {
        keep(byte);
        state = UNQUOTED;
      }
    }
  }

  if (!inRecord) return;
  if (state === QUOTED) {
    oversize = false;
    problem = 'unterminated quoted field (no closing quote before the end of the file)';
  } else if (state === UNQUOTED) {
    field.dropLast(CR);
  }
  const record = endRecord();
  if (record) yield record;
}
