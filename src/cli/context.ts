import { readFileSync } from 'node:fs';
import dotenv from 'dotenv';
import {
  type Config,
  type Connection,
  loadConfig,
  loadConnections,
  referencedValues,
  secretsOf,
} from '../config/index.ts';
import { createLogger, isPretty, type Logger } from '../log/index.ts';
import { openStore, type Store } from '../store/index.ts';
import type { Report } from './report.ts';
import { createScreen, type Screen } from './screen.ts';

export interface Context {
  config: Readonly<Config>;
  log: Logger;
  /** The terminal's one owner: log lines and progress bars go through it. */
  screen: Screen;
  /** Where the command's summary and notices go: text for a person, log lines off a terminal. */
  report: Report;
}

/** Adds `.env` of the working directory (if any) to `env`; set variables win. */
export function loadDotenv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  dotenv.config({ quiet: true, processEnv: env });
  return env;
}

/** Loads `.env` (if any), then the environment, and builds the logger: the first step of every command. */
export function loadContext(env: NodeJS.ProcessEnv = process.env): Context {
  loadDotenv(env);
  const config = loadConfig(env);
  const screen = createScreen();
  const log = createLogger({
    level: config.log.level,
    format: config.log.format,
    secrets: secretsFor(config, env),
    destination: screen,
  });
  // The report is the command's output, not a diagnostic: LOG_LEVEL does not silence it.
  const report = {
    human: isPretty(config.log.format, screen),
    out: screen,
    log: log.child({}, { level: 'info' }),
  };
  return { config, log, screen, report };
}

/** Every secret value a line could carry: the settings' and those the connections file references. */
export function secretsFor(config: Readonly<Config>, env: NodeJS.ProcessEnv): string[] {
  return [...secretsOf(config), ...connectionSecrets(config.syncConfigPath, env)];
}

function connectionSecrets(path: string, env: NodeJS.ProcessEnv): string[] {
  try {
    return [...referencedValues(readFileSync(path, 'utf8'), env), ...sourceSecrets(path, env)];
  } catch {
    return []; // no file yet: loading the connections reports it
  }
}

/** A HubSpot token or client secret written into the file as it is, not through `${NAME}`. */
function sourceSecrets(path: string, env: NodeJS.ProcessEnv): string[] {
  try {
    return loadConnections(path, env).flatMap(({ source }) =>
      source.type === 'hubspot'
        ? [source.token, ...(source.webhook ? [source.webhook.clientSecret] : [])]
        : [],
    );
  } catch {
    return []; // an invalid file is reported when the connections are loaded
  }
}

export async function openMigratedStore(config: Readonly<Config>): Promise<Store> {
  const store = await openStore(
    config.store.kind === 'postgres'
      ? { kind: 'postgres', url: config.store.url, schema: config.store.schema }
      : { kind: 'sqlite', path: config.store.path },
  );
  await store.migrate();
  return store;
}

export function connectionsOf(config: Readonly<Config>): { connections: Connection[] } {
  return { connections: loadConnections(config.syncConfigPath) };
}
