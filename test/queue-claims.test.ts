import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClaims, IdentityBusyError } from '../src/queue/records/claims.ts';
import { openStore, type Store } from '../src/store/index.ts';

const LOCK_MS = 100;
const wanted = (key: string) => ({ crmId: `crm-${key}`, phone: '+6281100', email: null, keys: [key] });

describe('identity claims taken by a worker (real SQLite store)', () => {
  let dir = '';
  let store: Store;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sahut-claims-'));
    store = await openStore({ kind: 'sqlite', path: join(dir, 'store.sqlite') });
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const claims = () => createClaims(store, { connection: 'conn', lockMs: LOCK_MS, token: randomUUID() });

  it("waits for a dead holder's claim to lapse, then says it was stale", async () => {
    // What a SIGKILLed worker leaves behind: a claim nobody renews or releases.
    const key = createHash('sha1').update('dead').digest('hex');
    const dead = { ...wanted('dead'), connection: 'conn', keys: [key], token: 'dead', ttlMs: 4 * LOCK_MS };
    expect((await store.claimIdentities(dead)).claimed).toBe(true);
    const started = Date.now();
    const found = await claims().withClaim(wanted('dead'), async (f) => f);
    expect(found.stale).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * LOCK_MS);
  });

  it('gives up on a live holder with a transient error, and takes the claim once it is released', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered = () => {};
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const holding = claims();
    const holder = holding.withClaim(wanted('live'), async () => {
      entered();
      await held;
    });
    await inside;
    // The holder renews its claim, so the waiter runs out of time (5 locks) rather than taking it over.
    await expect(claims().withClaim(wanted('live'), async () => 'taken')).rejects.toBeInstanceOf(
      IdentityBusyError,
    );
    release();
    await holder;
    // Kept past its record's work until the batch lets go (after saving what the record wrote).
    await expect(claims().withClaim(wanted('live'), async () => 'taken')).rejects.toBeInstanceOf(
      IdentityBusyError,
    );
    await holding.release();
    await expect(claims().withClaim(wanted('live'), async (f) => f.stale)).resolves.toBe(false);
  });

  it('takes the claims of records asking together in one go, and lets go of each record on its own', async () => {
    const batch = claims();
    const seen = await Promise.all(
      ['b1', 'b2', 'b3'].map((k) => batch.withClaim(wanted(k), async (f) => f.stale)),
    );
    expect(seen).toEqual([false, false, false]);
    await batch.release(['crm-b1']);
    await expect(claims().withClaim(wanted('b1'), async () => 'taken')).resolves.toBe('taken');
    await expect(claims().withClaim(wanted('b2'), async () => 'taken')).rejects.toBeInstanceOf(
      IdentityBusyError,
    );
    await batch.release();
    await expect(claims().withClaim(wanted('b2'), async () => 'taken')).resolves.toBe('taken');
  });

  it('stops waiting when its job is aborted', async () => {
    const key = createHash('sha1').update('abort').digest('hex');
    const ttlMs = 60_000;
    await store.claimIdentities({
      ...wanted('abort'),
      connection: 'conn',
      keys: [key],
      token: 'other',
      ttlMs,
    });
    const stop = new AbortController();
    const waiting = claims().withClaim(wanted('abort'), async () => 'taken', stop.signal);
    const started = Date.now();
    stop.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(5 * LOCK_MS);
  });
});
