import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttentionEntry, AuditRow } from '../src/store/index.ts';
import { openStore } from '../src/store/index.ts';
import { type CliDeployment, cliDeployment, csvRow, runCli } from './helpers/cli.ts';

/**
 * `sahut-sync attention` as an operator runs it: a CSV connection whose first
 * run leaves two ambiguous records, a rejected and a failed one; every action
 * from the command line, each audited under the name given.
 */
describe('sahut-sync attention', () => {
  let deployment: CliDeployment;
  let env: Record<string, string>;
  let emailTwin: string;

  beforeAll(async () => {
    deployment = await cliDeployment({ JOB_BACKOFF_MS: '20' });
    env = deployment.env;
    const { sandbox, crm } = deployment;
    // crm-0 and crm-1: each one's phone is one contact's, its email another's.
    const seeded = sandbox.seed(
      [0, 1].flatMap((i) => [
        { name: `Phone twin ${i}`, phone: `+62812${String(1_000_000 + i).padStart(7, '0')}` },
        { name: `Email twin ${i}`, email: `customer${i}@example.com` },
      ]),
    );
    emailTwin = seeded[1]!.id;
    await crm.write([csvRow(0), csvRow(1), { ...csvRow(2), phone: '12345' }, csvRow(3)]);
    sandbox.setFaults({ rules: [{ route: 'POST /contacts', script: [422] }] });
    expect((await runCli(['run', '--once'], env)).code).toBe(1);
  });

  afterAll(() => deployment?.dispose());

  const listed = async (...args: string[]) => {
    const { code, output } = await runCli(['attention', '--json', ...args], env);
    expect(code, output).toBe(0);
    return (JSON.parse(output) as { entries: AttentionEntry[] }).entries
      .map((e) => `${e.id}:${e.kind}`)
      .sort();
  };

  it('lists what needs a person, as a table or as JSON', async () => {
    expect(await listed()).toEqual(['crm-0:ambiguous', 'crm-1:ambiguous', 'crm-2:rejected', 'crm-3:failed']);
    expect(await listed('--kind', 'ambiguous')).toEqual(['crm-0:ambiguous', 'crm-1:ambiguous']);
    const table = await runCli(['attention', '--connection', 'crm'], env);
    expect(table.code).toBe(0);
    expect(table.output).toMatch(/^connection\s+direction\s+kind\s+id\s+last reported\s+times\s+what$/m);
    expect(table.output).toMatch(/crm\s+crm-to-sahut\s+rejected\s+crm-2\s+\S+\s+1\s+invalid phone "12345"/);
  });

  it('retries a failed record in a run it waits for', async () => {
    const retry = await runCli(['attention', 'retry', '--connection', 'crm', '--crm-id', 'crm-3'], env);
    expect(retry.output).toMatch(/Action act-\S+: retry crm-3, by \S+ \(cli\)/);
    expect(retry.output).toMatch(/Run run-\S+ succeeded; crm-3: created \(ct_\w+\)/);
    expect(retry.output).toContain('crm-3 no longer needs attention.');
    expect(retry.code).toBe(0);
  });

  it('links an ambiguous record to the candidate chosen, naming who in the audit', async () => {
    const link = await runCli(
      [
        'attention',
        'link',
        '--connection',
        'crm',
        '--crm-id',
        'crm-0',
        '--candidate',
        emailTwin,
        '--by',
        'ops',
      ],
      env,
    );
    expect(link.output).toContain(`crm-0: linked (${emailTwin})`);
    expect(link.code).toBe(0);
    const audit = await runCli(['audit', '--crm-id', 'crm-0', '--action', 'decided', '--json'], env);
    const [decided] = (JSON.parse(audit.output) as { rows: AuditRow[] }).rows;
    expect(decided).toMatchObject({
      error: `link crm-0 to ${emailTwin}, by ops (cli)`,
      detail: { by: 'ops', via: 'cli' },
    });
  });

  it('creates a contact for an ambiguous record and acknowledges a rejected one', async () => {
    const create = await runCli(
      ['attention', 'create', '--connection', 'crm', '--crm-id', 'crm-1', '--by', 'ops'],
      env,
    );
    expect(create.output).toMatch(/crm-1: created \(ct_\w+\)/);
    expect(create.code).toBe(0);

    const ack = await runCli(
      ['attention', 'ack', '--connection', 'crm', '--crm-id', 'crm-2', '--by', 'ops'],
      env,
    );
    expect(ack.output).toContain('crm-2: acknowledged');
    expect(ack.code).toBe(0);
    // The contact created for crm-1 shares its phone and email with the candidates ruled out: a
    // scan reports those pairs, and the operator who chose to create it acknowledges them.
    const pairs = (await listed()).map((e) => e.replace(/:duplicate-suspected$/, ''));
    expect(pairs.every((id) => id.startsWith('pair:'))).toBe(true);
    for (const id of pairs)
      expect((await runCli(['attention', 'ack', '--connection', 'crm', '--id', id], env)).code).toBe(0);
    expect(await listed()).toEqual([]);
    expect(await listed('--acknowledged', '--kind', 'rejected')).toEqual(['crm-2:rejected']);
  });

  it('refuses what does not apply (exit 64), and says why a worker refused (exit 1)', async () => {
    const wrong = await runCli(['attention', 'retry', '--connection', 'crm', '--crm-id', 'crm-2'], env);
    expect(wrong.code).toBe(64);
    expect(wrong.output).toMatch(/a rejected record can be: acknowledge \(not retry\)/);
    const none = await runCli(['attention', 'ack', '--connection', 'crm', '--crm-id', 'crm-9'], env);
    expect(none.code).toBe(64);
    expect(none.output).toMatch(/crm-9 of crm is not in the attention listing/);

    // A conflict on crm-3's company, kept as the CRM has it: the CSV cannot take Sahut's value.
    const store = await openStore({ kind: 'sqlite', path: env.SQLITE_PATH as string });
    const sahutId = (await store.getLinks('crm', ['crm-3'])).get('crm-3')?.sahutId ?? null;
    const conflict = {
      field: 'company',
      base: 'Company 3',
      crm: 'Company 3',
      sahut: 'Elsewhere',
      resolution: 'crm',
    };
    await store.appendAudit([
      {
        runId: 'run-seeded',
        jobId: null,
        connection: 'crm',
        direction: 'crm-to-sahut',
        crmId: 'crm-3',
        sahutId,
        action: 'conflict',
        diff: null,
        error: 'conflict on company: CRM "Company 3", Sahut "Elsewhere" → kept CRM',
        attempt: 1,
        detail: { conflicts: [conflict], heldBack: [] },
      },
    ]);
    await store.close();
    const take = ['attention', 'take', '--connection', 'crm', '--crm-id', 'crm-3', '--field', 'company'];
    const refused = await runCli([...take, '--side', 'sahut'], env);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/Not carried out: connection crm cannot write the CRM/);
    const kept = await runCli([...take, '--side', 'crm'], env);
    expect(kept.output).toContain('crm-3 no longer needs attention.');
    expect(kept.code).toBe(0);
  });
});
