import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { CrmError } from '../errors.ts';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Identity of one version of the file: size, modification time (ns) and inode.
 * A cron job that drops a new export changes at least one of them.
 */
export async function fileVersion(path: string): Promise<string> {
  try {
    const s = await stat(path, { bigint: true });
    if (!s.isFile()) throw new CrmError('SOURCE_INVALID', `Source ${path} is not a regular file`);
    return `${s.size}:${s.mtimeNs}:${s.ino}`;
  } catch (err) {
    if (err instanceof CrmError) throw err;
    const code = (err as { code?: unknown }).code;
    throw new CrmError('SOURCE_INVALID', `Cannot read source file ${path} (${String(code ?? err)})`, {
      cause: err,
    });
  }
}

/** Where the content starts: 3 when the file begins with a UTF-8 byte order mark. */
export async function contentStart(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(3);
    const { bytesRead } = await handle.read(head, 0, 3, 0);
    return bytesRead === 3 && head.equals(BOM) ? 3 : 0;
  } finally {
    await handle.close();
  }
}

/** The file's bytes from `offset`, streamed; breaking out of the loop closes the file. */
export function fileChunks(path: string, offset: number): AsyncIterable<Buffer> {
  return createReadStream(path, { start: offset, highWaterMark: 64 * 1024 });
}
