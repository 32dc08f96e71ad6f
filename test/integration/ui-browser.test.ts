/**
 * The `gov ui` dashboard in a real browser (Debian's chromium, driven headless by playwright-core) against
 * a real two-agent cluster: the page shows both instances live; a restart clicked on one shows its new
 * PID without a reload; a request without the token gets 401; with a viewer certificate the page offers
 * no action and the master refuses one sent anyway (403 with its message). `gov ui` runs as the built
 * binary and stops on SIGINT with exit 0. A screenshot is saved in the test's temp dir (path printed); the
 * time from navigation start to the live table is printed, never asserted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Cluster, Proc } from '../helpers/cluster.js';
import { fixture, GOV_BIN, tempDir, waitFor } from '../helpers/common.js';
import type { PairName } from '../helpers/pki.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const INSTANCES = ['web@edge-1', 'web@edge-2'];

const row = (key: string) => `#instances tr[data-instance="${key}"]`;

/** Waits until every instance row shows `running` with a PID. */
async function waitLive(page: Page, keys: string[], timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (ks) =>
      ks.every((k) => {
        const tr = document.querySelector<HTMLElement>(`#instances tr[data-instance="${k}"]`);
        return tr?.dataset.state === 'running' && Number(tr.dataset.pid) > 0;
      }),
    keys,
    { timeout },
  );
}

describe('integration: gov ui in a real browser', function () {
  this.timeout(240_000);
  this.slow(60_000);

  let c: Cluster | null = null;
  let browser: Browser | null = null;
  let tmp: string;
  const uis: Proc[] = [];

  /** Starts the built `gov ui` with `pair`'s certificate; resolves with it and the URL it printed. */
  async function startUi(pair: PairName): Promise<{ ui: Proc; url: string }> {
    const child = spawn(process.execPath, [GOV_BIN, 'ui', ...c!.connectionArgs(pair)], {
      cwd: tmp,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ui = new Proc(`gov ui (${pair})`, child);
    uis.push(ui);
    const url = await waitFor(
      () => {
        if (!ui.running) throw new Error(`gov ui exited: ${ui.tail()}`);
        return /^(http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+)$/m.exec(ui.stdout)?.[1];
      },
      { what: 'gov ui to print its URL', timeoutMs: 30_000 },
    );
    assert.equal(ui.stdout.trim(), url, 'gov ui prints the URL and nothing else on stdout');
    return { ui, url };
  }

  /** SIGINT to `gov ui` (by its PID): it stops with exit 0. */
  async function stopUi(ui: Proc): Promise<void> {
    ui.child.kill('SIGINT');
    const { code } = await ui.exited;
    assert.equal(code, 0, `gov ui exit: ${ui.tail()}`);
  }

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`      skipped: ${CHROMIUM} is missing (Debian package chromium; .ci/run installs it)`);
      this.skip();
    }
    tmp = tempDir('gov-ui-browser-');
    // Agents push metrics at the master's interval: short, so the sparklines get samples.
    const config = path.join(tmp, 'master.yaml');
    writeFileSync(config, 'metrics_interval: 500ms\n');
    c = await Cluster.start({ agents: ['edge-1', 'edge-2'], masterArgs: ['--config', config] });
    const file = c.writeHandlers([
      { name: 'web', agents: ['edge-1', 'edge-2'], command: [process.execPath, fixture('ticker.mjs')] },
    ]);
    await c.govJson(['apply', '-f', file]);
    await c.waitInstances('web', 2, (i) => i.state === 'running' && !!i.pid);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    for (const ui of uis) await ui.kill('SIGKILL');
    await c?.stop();
  });

  it('admin: both instances live, a restart clicked shows the new PID without reload, no token gets 401', async () => {
    const { ui, url } = await startUi('admin-admin');
    const context = await browser!.newContext();
    const page = await context.newPage();
    await page.goto(url);
    await waitLive(page, INSTANCES);
    const firstLoadMs = await page.evaluate(
      () => performance.getEntriesByName('governor-live')[0]?.startTime ?? performance.now(),
    );
    console.log(
      `      first load to live table: ${firstLoadMs.toFixed(0)} ms (navigation start → both rows live)`,
    );

    await page.waitForSelector('#whoami[data-role="admin"]');
    for (const key of INSTANCES)
      for (const action of ['restart', 'stop', 'start', 'ensure'])
        assert.equal(
          await page.locator(`${row(key)} button[data-action="${action}"]`).count(),
          1,
          `${key} ${action}`,
        );

    const target = INSTANCES[0]!;
    const before = Number(await page.locator(row(target)).getAttribute('data-pid'));
    const other = await page.locator(row(INSTANCES[1]!)).getAttribute('data-pid');
    // A reload would lose this mark: the new PID must come through the event stream.
    await page.evaluate(() => ((window as unknown as { govMark: number }).govMark = 1));
    await page.locator(`${row(target)} button[data-action="restart"]`).click();
    await page.waitForFunction(
      ([sel, old]) => {
        const tr = document.querySelector<HTMLElement>(sel);
        return (
          tr?.dataset.state === 'running' && Number(tr.dataset.pid) > 0 && Number(tr.dataset.pid) !== old
        );
      },
      [row(target), before] as const,
      { timeout: 60_000 },
    );
    const after = Number(await page.locator(row(target)).getAttribute('data-pid'));
    assert.notEqual(after, before);
    assert.equal(
      await page.evaluate(() => (window as unknown as { govMark?: number }).govMark),
      1,
      'no reload',
    );
    assert.equal(
      await page.locator(row(INSTANCES[1]!)).getAttribute('data-pid'),
      other,
      'the other one kept its PID',
    );
    const ps = await c!.instances('web');
    assert.equal(ps.find((i) => i.agent === 'edge-1')?.pid, after, 'the page shows the PID the master has');
    await page.waitForSelector('#executions tr[data-kind="restart"]', { timeout: 30_000 });
    // The log's filters ask the master: only restarts are left.
    await page.locator('#execution-filters input[name="kind"]').fill('restart');
    await page.locator('#execution-filters button[type="submit"]').click();
    await page.waitForFunction(() => {
      const kinds = [...document.querySelectorAll<HTMLElement>('#executions tr[data-kind]')].map(
        (tr) => tr.dataset.kind,
      );
      return kinds.length > 0 && kinds.every((k) => k === 'restart');
    });
    // Each instance has its CPU and memory sparklines (uPlot canvases).
    for (const key of INSTANCES)
      assert.equal(
        (await page.locator(`${row(key)} td.spark canvas`).count()) >= 2,
        true,
        `${key} sparklines`,
      );

    const base = new URL(url);
    const noToken = await fetch(`${base.origin}/api/whoami`);
    assert.equal(noToken.status, 401);
    assert.equal(await page.evaluate(async () => (await fetch('/api/whoami')).status), 401);
    assert.equal((await fetch(`${base.origin}/`)).status, 401);

    const shot = path.join(tmp, 'dashboard-admin.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`      screenshot: ${shot}`);
    await context.close();
    await stopUi(ui);
  });

  it('viewer: the page shows no action button and the master refuses an action sent anyway (403)', async () => {
    const { ui, url } = await startUi('viewer-viewer');
    const context = await browser!.newContext();
    const page = await context.newPage();
    await page.goto(url);
    await waitLive(page, INSTANCES);
    // The role comes with /api/whoami, beside the event stream: wait for it before looking for buttons.
    await page.waitForSelector('#whoami[data-role="viewer"]');
    assert.equal(await page.locator('button[data-action]').count(), 0, 'no action button for a viewer');
    const pids = await c!.instances('web');
    const token = new URL(url).searchParams.get('token')!;
    const answer = await page.evaluate(async (t) => {
      const res = await fetch('/api/control', {
        method: 'POST',
        headers: { Authorization: `Bearer ${t}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ action: 'restart', targets: ['web@edge-1'] }),
      });
      return { status: res.status, body: (await res.json()) as { error?: string } };
    }, token);
    assert.equal(answer.status, 403);
    assert.match(answer.body.error ?? '', /may not call Admin\/Control: viewer is read-only/);
    const byAgent = (list: Array<{ agent: string; pid: number | null }>) =>
      Object.fromEntries(list.map((i) => [i.agent, i.pid]));
    assert.deepEqual(byAgent(await c!.instances('web')), byAgent(pids), 'nothing restarted');
    await page.screenshot({ path: path.join(tmp, 'dashboard-viewer.png'), fullPage: true });
    await context.close();
    await stopUi(ui);
  });

  it('a master that goes away shows the page as reconnecting, then live again once it is back', async () => {
    const { ui, url } = await startUi('viewer-viewer');
    const context = await browser!.newContext();
    const page = await context.newPage();
    await page.goto(url);
    await waitLive(page, INSTANCES);
    await page.waitForSelector('#live[data-live="live"]');
    await c!.killMaster();
    await page.waitForSelector('#live[data-live="lost"]', { timeout: 60_000 });
    await c!.startMaster();
    await page.waitForSelector('#live[data-live="live"]', { timeout: 60_000 });
    await context.close();
    await stopUi(ui);
  });
});
