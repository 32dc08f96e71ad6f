/**
 * Discovery: a real agent process with a discovery rule attaches a matching process
 * started after it within two scan intervals; after `kill -9` of the agent and a restart, the process is
 * unaffected (same PID, no signal) and observed again. Plus the rule parser and the scan cache.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DiscoveryScanner, matchRule, parseDiscoverRules } from '../../agent/observed/discovery.js';
import { isAlive } from '../../shared/proc.js';
import { tempDir, waitFor } from '../helpers/common.js';
import { readStatus, startAgent } from './helpers.js';
import { outsideWorkload, signalsRecorded } from './observed-helpers.js';

describe('discovery rules and scan', () => {
  it('parses rules: exactly one of pattern/exe, limits, names; refuses the rest with the key', () => {
    const [a, b] = parseDiscoverRules([
      { name: 'bots', pattern: 'discord-bot\\.js', limits: { cpu: '50%', memory: '256MiB' } },
      { name: 'redis', exe: 'redis-server' },
    ]);
    assert.equal(a?.pattern?.source, 'discord-bot\\.js');
    assert.deepEqual(a?.limits, { cpu_percent: 50, memory_bytes: 256 * 1024 * 1024 });
    assert.equal(b?.exe, 'redis-server');
    assert.throws(() => parseDiscoverRules([{ name: 'x' }]), /discover\[0\]: give exactly one of pattern/);
    assert.throws(() => parseDiscoverRules([{ name: 'x', pattern: '(' }]), /discover\[0\]\.pattern/);
    assert.throws(() => parseDiscoverRules([{ name: 'X!', exe: 'a' }]), /discover\[0\]\.name/);
    assert.throws(
      () => parseDiscoverRules([{ name: 'x', exe: 'a', foo: 1 }]),
      /discover\[0\]\.foo: unknown key/,
    );
    assert.throws(
      () => parseDiscoverRules([{ name: 'x', exe: 'a', limits: { cpu: 'lots' } }]),
      /limits\.cpu/,
    );
    assert.throws(() => parseDiscoverRules({}), /must be a list/);
  });

  it('matches the regex on the full command line, exe on the executable basename', () => {
    const rules = parseDiscoverRules([
      { name: 'bot', pattern: 'bot\\.js --prod' },
      { name: 'sleepers', exe: 'sleep' },
    ]);
    assert.equal(matchRule(rules, ['/usr/bin/node', 'bot.js', '--prod'])?.name, 'bot');
    assert.equal(matchRule(rules, ['/bin/sleep', '100'])?.name, 'sleepers');
    assert.equal(matchRule(rules, ['/usr/bin/node', 'bot.js'])?.name, undefined);
    assert.equal(matchRule(rules, []), null);
  });

  it('reads command lines only for PIDs it has not seen (cached by PID + start time)', () => {
    const scanner = new DiscoveryScanner(
      parseDiscoverRules([{ name: 'none', pattern: '^no-such-program-xyz$' }]),
    );
    scanner.scan(() => false, Number.MAX_SAFE_INTEGER);
    const cold = scanner.lastScan;
    scanner.scan(() => false, Number.MAX_SAFE_INTEGER);
    const warm = scanner.lastScan;
    assert.ok(cold.cmdlineReads > 0);
    assert.ok(warm.cmdlineReads <= Math.max(2, cold.cmdlineReads / 10), JSON.stringify({ cold, warm }));
  });
});

describe('discovery with a real agent process', () => {
  it('attaches a new match within two scan intervals; kill -9 + restart: unaffected, observed again', async () => {
    const dir = tempDir();
    const dataDir = path.join(dir, 'data');
    const token = `gov-discover-${process.pid}-${Date.now()}`;
    const intervalMs = 300;
    const config = path.join(dir, 'agent.yaml');
    writeFileSync(
      config,
      `discover_interval: ${intervalMs}ms\ndiscover:\n  - {name: rec, pattern: "signal-recorder\\\\.mjs .*${token}"}\n`,
    );
    const handlers = path.join(dir, 'handlers.yaml');
    writeFileSync(handlers, 'handlers: []\n');
    const args = ['--config', config];
    const agent = startAgent(handlers, dataDir, args);
    await waitFor(() => readStatus(dataDir)?.agent_pid === agent.pid, { what: 'agent up' });

    const w = await outsideWorkload(dir, [token]);
    const t0 = Date.now();
    const name = `rec-${w.pid}`;
    const seen = await waitFor(
      () => readStatus(dataDir)?.instances.find((i) => i.handler === name && i.state === 'running'),
      { what: `${name} observed`, timeoutMs: 2 * intervalMs + 1500, intervalMs: 10 },
    );
    const tookMs = Date.now() - t0;
    assert.ok(tookMs <= 2 * intervalMs + 150, `discovered after ${tookMs}ms (interval ${intervalMs}ms)`);
    assert.equal(seen.pid, w.pid);
    assert.equal(seen.mode, 'observed');

    agent.proc.kill('SIGKILL');
    await agent.exited;
    assert.ok(isAlive(w.pid), 'the observed process outlives the agent');

    const agent2 = startAgent(handlers, dataDir, args);
    const back = await waitFor(
      () => {
        const doc = readStatus(dataDir);
        if (doc?.agent_pid !== agent2.pid) return null;
        return doc.instances.find((i) => i.handler === name && i.state === 'running');
      },
      { what: `${name} observed again after the restart` },
    );
    assert.equal(back.pid, w.pid, 'same PID');
    assert.ok(back.events.some((e) => e.type === 'RESTORED'));
    const doc = readStatus(dataDir)!;
    assert.equal(doc.instances.filter((i) => i.pid === w.pid).length, 1, 'not attached twice');
    assert.ok(isAlive(w.pid));
    assert.equal(signalsRecorded(w.log), '', 'no signal recorded');
    agent2.proc.kill('SIGTERM');
    await agent2.exited;
    assert.equal(signalsRecorded(w.log), '', 'no signal on a graceful agent stop either');
  });
});
