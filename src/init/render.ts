import { Document, isCollection, isMap, isScalar, parseDocument, Scalar, type YAMLMap } from 'yaml';
import { ConfigError } from '../config/index.ts';
import type { FieldChoice, Guess } from './guess.ts';

/** The mapping file for a guess: one flow line per field, with why it was guessed above it. */
export function mappingYaml(guess: Guess, from: string): string {
  const doc = new Document({ fields: Object.fromEntries(guess.fields.map((f) => [f.key, ruleOf(f)])) });
  doc.commentBefore = [
    ` Written by \`sahut-sync init\` from ${from}: which column fills which Sahut field.`,
    ' Check every line (those marked "check" most): the comment above it says why it was guessed.',
    ' owner crm: the CRM wins and nothing is written back to it. For two-way sync, and every key,',
    ' see config/mapping.example.yaml.',
  ].join('\n');
  const fields = doc.get('fields');
  if (isMap(fields)) {
    for (const pair of fields.items) {
      const choice = guess.fields.find((f) => isScalar(pair.key) && f.key === pair.key.value);
      if (isMap(pair.value)) pair.value.flow = true;
      if (isScalar(pair.key) && choice)
        pair.key.commentBefore = ` ${choice.why}${choice.sure ? '' : ' (check)'}`;
    }
  }
  if (guess.unmapped.length > 0)
    doc.comment = [
      ` Not read: ${guess.unmapped.join(', ')}.`,
      ' To send one to Sahut as a custom attribute: custom_attributes.<key>: { from: <column>, owner: crm }',
    ].join('\n');
  return ended(doc.toString());
}

function ruleOf(f: FieldChoice): Record<string, unknown> {
  return {
    from: f.from.length === 1 ? f.from[0] : f.from,
    ...(f.transform ? { transform: f.transform } : {}),
    ...(f.separator !== undefined ? { separator: f.separator } : {}),
    owner: 'crm',
  };
}

export interface ConnectionEntry {
  /** The `source:` of the connection, as the connections file takes it. */
  source: Record<string, unknown>;
  /** The mapping file, relative to the connections file. */
  mapping: string;
}

/**
 * The connections file with `name` set to `entry`: a new file, or the existing
 * one with its comments and other connections kept.
 */
export function connectionsYaml(
  existing: { path: string; text: string } | null,
  name: string,
  entry: ConnectionEntry,
  from: string,
): string {
  const doc = existing === null ? new Document({ connections: {} }) : parseDocument(existing.text);
  if (existing !== null && doc.errors.length > 0)
    throw new ConfigError(
      `Cannot add a connection to ${existing.path}: it is not valid YAML (${doc.errors[0]?.message.split('\n')[0]})`,
    );
  if (existing === null)
    doc.commentBefore =
      ' sahut-sync connections (reference: config/sahut-sync.yaml and the docs). Paths are relative to this file.';
  const node = doc.createNode({ ...entry, directions: ['crm-to-sahut'] }) as YAMLMap;
  const directions = node.get('directions', true);
  if (isCollection(directions)) directions.flow = true;
  node.comment =
    ' schedule: { cron: "0 */15 * * * *", tz: Asia/Jakarta }   # for `sahut-sync scheduler`; cron jobs use run --once';
  doc.setIn(['connections', name], node);
  const connections = doc.get('connections');
  // A key set from JavaScript is a plain string; one parsed from the file is a Scalar.
  const pair = isMap(connections)
    ? connections.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === name)
    : undefined;
  if (pair) {
    const key = new Scalar(name);
    key.commentBefore = ` Written by \`sahut-sync init\` from ${from}. Only crm-to-sahut: nothing is written to the CRM.`;
    key.spaceBefore = isMap(connections) && connections.items.indexOf(pair) > 0;
    pair.key = key;
  }
  return ended(doc.toString());
}

/** A trailing comment is written without its line break. */
const ended = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
