import { ByteBuffer } from './byte-buffer.ts';
import { CR, type FilePosition, LF, type RawRecord, tooLarge } from './position.ts';

/**
 * Physical lines from a byte stream (LF or CRLF), as raw bytes. A line over
 * `maxRecordBytes` is not buffered past the limit and comes out as a problem.
 */
export async function* splitLines(
  chunks: AsyncIterable<Buffer>,
  opts: { start: FilePosition; maxRecordBytes: number },
): AsyncGenerator<RawRecord<Buffer>> {
  const { maxRecordBytes } = opts;
  const current = new ByteBuffer();
  let { offset, line } = opts.start;
  let lineBytes = 0;
  let pending = false;

  const finish = (): RawRecord<Buffer> => {
    const oversize = lineBytes > maxRecordBytes;
    if (!oversize) current.dropLast(CR);
    const record = {
      line,
      next: { offset, line: line + 1 },
      value: oversize ? null : current.take(),
      problem: oversize ? tooLarge(maxRecordBytes) : null,
    };
    current.clear();
    lineBytes = 0;
    pending = false;
    return record;
  };

  for await (const chunk of chunks) {
    let from = 0;
    while (from < chunk.length) {
      const lf = chunk.indexOf(LF, from);
      const to = lf === -1 ? chunk.length : lf;
      const piece = chunk.subarray(from, to);
      lineBytes += piece.length;
      if (lineBytes <= maxRecordBytes) current.append(piece);
      pending = true;
      offset += to - from;
      from = to;
      if (lf === -1) break;
      offset += 1;
      from += 1;
      const record = finish();
      line += 1;
      yield record;
    }
  }
  if (pending) yield finish();
}
