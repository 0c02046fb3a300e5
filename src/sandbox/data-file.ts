import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { type StoredContact, storedContactSchema } from './validation.ts';

const dataFileSchema = z.object({ contacts: z.array(storedContactSchema) });

/** Contacts saved by an earlier run, or `null` when the file does not exist yet. */
export async function loadDataFile(path: string): Promise<StoredContact[] | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = dataFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new Error(`sandbox data file ${path} is invalid:\n${z.prettifyError(parsed.error)}`);
  return parsed.data.contacts;
}

/** Writes beside the target and renames, so a crash mid-write never leaves half a file. */
export async function saveDataFile(path: string, contacts: readonly StoredContact[]): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ contacts }, null, 2)}\n`, 'utf8');
  await rename(tmp, path);
}
