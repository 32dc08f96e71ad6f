// The Governor dashboard (served by `gov ui`, master/cli/ui/). Plain script, no build step: it reads the
// one-time token from its own URL and sends it with every request (Authorization header for fetch, the
// query for EventSource, which cannot set headers). The live view comes from /api/events (the master's
// Watch as server-sent events): a snapshot replaces the view, then each change updates one row in place,
// so nothing needs a reload. Sparklines are uPlot charts fed by /api/history and by metrics events (every
// sample the agents push).
// Elements carry stable data-* attributes (data-instance, data-state, data-pid, data-action…) for tests.
'use strict';

(() => {
  const token = new URLSearchParams(location.search).get('token') || '';
  const view = {
    role: '',
    agents: new Map(),
    instances: new Map(),
    rollouts: new Map(),
    executions: [],
    history: new Map(),
    charts: new Map(),
    windowMs: 900000,
    snapshot: null,
    live: false,
  };
  const EXECUTION_ROWS = 50;
  const $ = (sel) => document.querySelector(sel);

  async function api(path, body) {
    const init = { headers: { Authorization: `Bearer ${token}` } };
    if (body !== undefined) {
      init.method = 'POST';
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    const doc = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(doc.error || `${res.status} ${res.statusText}`);
    return doc;
  }

  function say(text, kind = 'info') {
    const m = $('#message');
    m.textContent = text;
    m.dataset.kind = kind;
    m.hidden = !text;
  }

  function el(tag, attrs = {}, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'class') e.className = v;
      else if (k.startsWith('data-')) e.setAttribute(k, String(v));
      else e[k] = v;
    }
    if (text !== undefined) e.textContent = String(text);
    return e;
  }

  const keyOf = (agent, handler, instance) => `${instance || handler}@${agent}`;

  function bytes(n) {
    if (!n) return '-';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
  }
  const percent = (n) => (typeof n === 'number' ? `${n.toFixed(1)}%` : '-');
  const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '-');

  // ---- actions -------------------------------------------------------------------------------------

  async function act(what, path, body, button) {
    button.disabled = true;
    try {
      const res = await api(path, body);
      const failed = (res.outcomes || []).filter((o) => !o.ok);
      if (failed.length)
        say(
          `${what}: ${failed.map((o) => `${keyOf(o.agent, o.handler, o.instance)}: ${o.error}`).join('; ')}`,
          'error',
        );
      else say(`${what}: done`);
    } catch (err) {
      say(`${what}: ${err.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  }

  function actionButton(action, title, onClick) {
    const b = el('button', { type: 'button', 'data-action': action, title }, action);
    b.addEventListener('click', () => onClick(b));
    return b;
  }

  // ---- agents --------------------------------------------------------------------------------------

  function renderAgents() {
    const body = $('#agents tbody');
    body.replaceChildren(
      ...[...view.agents.values()]
        .sort((a, b) => a.id.localeCompare(b.id))
        .map((a) => {
          const h = a.host || {};
          const used = h.mem_total_bytes ? h.mem_total_bytes - h.mem_free_bytes : 0;
          const tr = el('tr', { 'data-agent': a.id, 'data-connected': a.connected });
          tr.append(
            el('td', {}, a.id),
            el('td', { class: a.connected ? 'state-running' : 'state-fatal' }, a.connected ? 'yes' : 'no'),
            el('td', {}, a.hostname || '-'),
            el('td', {}, typeof h.load1 === 'number' ? h.load1.toFixed(2) : '-'),
            el('td', {}, used ? `${bytes(used)} / ${bytes(h.mem_total_bytes)}` : '-'),
            el('td', {}, time(a.last_seen)),
          );
          return tr;
        }),
    );
  }

  // ---- instances -----------------------------------------------------------------------------------

  function sparkline(cell, color) {
    if (typeof uPlot !== 'function') return null;
    return new uPlot(
      {
        width: 120,
        height: 30,
        cursor: { show: false },
        legend: { show: false },
        select: { show: false },
        axes: [{ show: false }, { show: false }],
        scales: { x: { time: true } },
        series: [{}, { stroke: color, width: 1, fill: `${color}22` }],
      },
      [[], []],
      cell,
    );
  }

  function historyOf(key) {
    let h = view.history.get(key);
    if (!h) view.history.set(key, (h = { t: [], cpu: [], mem: [] }));
    return h;
  }

  function addSample(key, atMs, cpu, mem) {
    const h = historyOf(key);
    if (h.t.length && atMs <= h.t[h.t.length - 1] * 1000) return;
    h.t.push(atMs / 1000);
    h.cpu.push(cpu);
    h.mem.push(mem);
    const oldest = (atMs - view.windowMs) / 1000;
    while (h.t.length && h.t[0] < oldest) {
      h.t.shift();
      h.cpu.shift();
      h.mem.shift();
    }
  }

  function drawCharts(key) {
    const c = view.charts.get(key);
    const h = view.history.get(key);
    if (!c || !h) return;
    c.cpu?.setData([h.t, h.cpu]);
    c.mem?.setData([h.t, h.mem]);
  }

  /** The action buttons of an instance row, for admin only (once: the role may arrive after the row). */
  function addActions(tr, key) {
    const cell = tr.querySelector('td[data-field="actions"]');
    if (view.role !== 'admin' || cell.childElementCount) return;
    for (const action of ['restart', 'stop', 'start', 'ensure'])
      cell.append(
        actionButton(action, `${action} ${key}`, (b) =>
          act(`${action} ${key}`, '/api/control', { action, targets: [key] }, b),
        ),
      );
  }

  function instanceRow(key) {
    let tr = document.querySelector(`#instances tr[data-instance="${CSS.escape(key)}"]`);
    if (tr) return tr;
    tr = el('tr', { 'data-instance': key });
    for (const f of ['name', 'state', 'health', 'temperature', 'pid', 'restarts', 'cpu', 'rss'])
      tr.append(el('td', { 'data-field': f }));
    const cpuCell = el('td', { class: 'spark', 'data-field': 'cpu-history' });
    const memCell = el('td', { class: 'spark', 'data-field': 'memory-history' });
    const actions = el('td', { class: 'actions', 'data-field': 'actions' });
    tr.append(cpuCell, memCell, actions);
    addActions(tr, key);
    $('#instances tbody').append(tr);
    view.charts.set(key, { cpu: sparkline(cpuCell, '#3367d6'), mem: sparkline(memCell, '#8e44ad') });
    drawCharts(key);
    return tr;
  }

  function renderInstance(key) {
    const info = view.instances.get(key);
    const tr = instanceRow(key);
    const s = info.status || {};
    const set = (field, text, cls) => {
      const td = tr.querySelector(`td[data-field="${field}"]`);
      td.textContent = text === undefined || text === null || text === '' ? '-' : String(text);
      if (cls !== undefined) td.className = cls;
    };
    tr.dataset.state = s.state || 'unknown';
    tr.dataset.pid = String(s.pid || 0);
    tr.classList.toggle('stale', !!info.stale);
    set('name', key);
    set('state', `${s.state}${info.stale ? ' (stale)' : ''}`, `state-${s.state}`);
    set('health', s.health, `health-${s.health}`);
    set('temperature', s.temperature);
    set('pid', s.pid || '-');
    set('restarts', s.restarts);
    const h = view.history.get(key);
    const last = h && h.t.length ? h.t.length - 1 : -1;
    set('cpu', last >= 0 ? percent(h.cpu[last]) : '-');
    set('rss', last >= 0 ? bytes(h.mem[last]) : '-');
  }

  function removeInstance(key) {
    view.instances.delete(key);
    view.charts.get(key)?.cpu?.destroy();
    view.charts.get(key)?.mem?.destroy();
    view.charts.delete(key);
    document.querySelector(`#instances tr[data-instance="${CSS.escape(key)}"]`)?.remove();
  }

  const instanceKeyOf = (info) => keyOf(info.agent, info.status?.handler, info.status?.instance);

  // ---- rollouts ------------------------------------------------------------------------------------

  function renderRollouts() {
    const rows = [...view.rollouts.values()]
      .sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''))
      .map((r) => {
        const total = r.instances.length;
        const done = r.instances.filter((i) => i.state !== 'pending' && i.state !== 'in_progress').length;
        const tr = el('tr', { 'data-rollout': r.id, 'data-state': r.state });
        const bar = el('progress', { max: total || 1, value: done });
        const progress = el('td', {});
        progress.append(bar, ` ${done}/${total}`);
        const actions = el('td', { class: 'actions' });
        const can = {
          pause: r.state === 'running',
          resume: r.state === 'paused',
          abort: r.state === 'running' || r.state === 'paused',
        };
        if (view.role === 'admin')
          for (const a of ['pause', 'resume', 'abort'])
            if (can[a])
              actions.append(
                actionButton(a, `${a} rollout ${r.id}`, (b) =>
                  act(`${a} rollout ${r.id}`, `/api/rollouts/${encodeURIComponent(r.id)}/${a}`, {}, b),
                ),
              );
        tr.append(
          el('td', {}, r.id),
          el('td', {}, r.handler),
          el('td', {}, r.error ? `${r.state}: ${r.error}` : r.state),
          progress,
          el('td', {}, time(r.updated_at)),
          actions,
        );
        return tr;
      });
    $('#rollouts tbody').replaceChildren(...rows);
  }

  // ---- executions ----------------------------------------------------------------------------------

  function filters() {
    const f = new FormData($('#execution-filters'));
    const out = {};
    for (const k of ['handler', 'agent', 'kind', 'status']) if (f.get(k)) out[k] = String(f.get(k)).trim();
    return out;
  }

  const matches = (rec, f) => Object.entries(f).every(([k, v]) => !v || rec[k] === v);

  function renderExecutions() {
    $('#executions tbody').replaceChildren(
      ...view.executions.map((x) => {
        const tr = el('tr', { 'data-execution': x.id, 'data-kind': x.kind, 'data-status': x.status });
        tr.append(
          el('td', {}, time(x.started_at)),
          el('td', {}, x.kind),
          el('td', {}, x.handler),
          el('td', {}, x.agent || '-'),
          el('td', { class: `status-${x.status}` }, x.status),
          el('td', {}, x.status === 'running' ? '-' : `${Math.round(x.duration_ms)} ms`),
          el('td', {}, x.error || x.result || '-'),
          el('td', {}, x.issued_by || '-'),
        );
        return tr;
      }),
    );
  }

  async function loadExecutions() {
    const q = new URLSearchParams({ ...filters(), limit: String(EXECUTION_ROWS) });
    try {
      view.executions = (await api(`/api/executions?${q}`)).records;
      renderExecutions();
    } catch (err) {
      say(`executions: ${err.message}`, 'error');
    }
  }

  function upsertExecution(rec) {
    const i = view.executions.findIndex((x) => x.id === rec.id);
    // A record that no longer matches the filters (a running one that finished) leaves the list.
    if (!matches(rec, filters())) {
      if (i >= 0) view.executions.splice(i, 1);
    } else if (i >= 0) view.executions[i] = rec;
    else view.executions.unshift(rec);
    view.executions.length = Math.min(view.executions.length, EXECUTION_ROWS);
    renderExecutions();
  }

  // ---- the event stream ----------------------------------------------------------------------------

  function applySnapshot(parts) {
    view.agents = new Map(parts.flatMap((p) => p.agents).map((a) => [a.id, a]));
    const instances = new Map(parts.flatMap((p) => p.instances).map((i) => [instanceKeyOf(i), i]));
    for (const key of [...view.instances.keys()]) if (!instances.has(key)) removeInstance(key);
    view.instances = instances;
    for (const key of [...instances.keys()].sort()) renderInstance(key);
    view.rollouts = new Map(parts.flatMap((p) => p.rollouts).map((r) => [r.id, r]));
    renderAgents();
    renderRollouts();
    if (!view.live) {
      view.live = true;
      performance.mark('governor-live');
    }
  }

  function onEvent(e) {
    switch (e.kind) {
      case 'snapshot': {
        view.snapshot = [...(view.snapshot || []), e.snapshot];
        if (!e.snapshot.more) {
          applySnapshot(view.snapshot);
          view.snapshot = null;
        }
        break;
      }
      case 'instance':
      case 'health': {
        const c = e.instance;
        const key = c.instance ? instanceKeyOf(c.instance) : `${c.key}@${e.agent}`;
        if (c.removed || !c.instance) removeInstance(key);
        else {
          view.instances.set(key, c.instance);
          renderInstance(key);
        }
        break;
      }
      case 'metrics': {
        const at = Date.parse(e.at) || Date.now();
        for (const m of e.metrics.instances || []) {
          const key = keyOf(e.agent, m.handler, m.instance);
          addSample(key, at, m.cpu_percent, m.memory_bytes);
          if (view.instances.has(key)) {
            renderInstance(key);
            drawCharts(key);
          }
        }
        const a = view.agents.get(e.agent);
        if (a && e.metrics.host) {
          a.host = e.metrics.host;
          renderAgents();
        }
        break;
      }
      case 'agent':
        view.agents.set(e.agent_info.id, e.agent_info);
        renderAgents();
        break;
      case 'rollout':
        view.rollouts.set(e.rollout.id, e.rollout);
        renderRollouts();
        break;
      case 'execution':
        upsertExecution(e.execution);
        break;
      case 'notice':
        if (e.notice.reason !== 'dropped') say(`event stream: ${e.notice.message}`);
        break;
    }
  }

  function connect() {
    const q = new URLSearchParams({ token });
    const source = new EventSource(`/api/events?${q}`);
    const live = $('#live');
    source.onopen = () => {
      live.dataset.live = 'live';
      live.textContent = 'live';
      live.title = '';
    };
    source.onmessage = (m) => {
      if (live.dataset.live !== 'live') source.onopen();
      onEvent(JSON.parse(m.data));
    };
    // The proxy lost the master (it watches again by itself): the table is not live meanwhile.
    source.addEventListener('reconnecting', (m) => {
      live.dataset.live = 'lost';
      live.textContent = 'reconnecting…';
      live.title = JSON.parse(m.data).error;
    });
    source.addEventListener('refused', (m) => {
      say(`event stream: ${JSON.parse(m.data).error}`, 'error');
      source.close();
      live.dataset.live = 'lost';
      live.textContent = 'stopped';
    });
    source.onerror = () => {
      live.dataset.live = 'lost';
      live.textContent = 'reconnecting…';
    };
  }

  /** The history from the master, joined with the samples live events brought meanwhile. */
  function mergeHistory(h) {
    if (h.window_ms > 0) view.windowMs = h.window_ms;
    for (const i of h.instances) {
      const key = keyOf(i.agent, i.handler, i.instance);
      const live = view.history.get(key);
      view.history.delete(key);
      i.at_ms.forEach((at, n) => addSample(key, at, i.cpu_percent[n], i.memory_bytes[n]));
      if (live) live.t.forEach((t, n) => addSample(key, t * 1000, live.cpu[n], live.mem[n]));
      if (view.instances.has(key)) {
        renderInstance(key);
        drawCharts(key);
      }
    }
  }

  async function start() {
    $('#execution-filters').addEventListener('submit', (ev) => {
      ev.preventDefault();
      void loadExecutions();
    });
    // Everything at once: the live table does not wait for the role, the history or the log.
    connect();
    void loadExecutions();
    void api('/api/history').then(mergeHistory, (err) => say(`history: ${err.message}`, 'error'));
    let who;
    try {
      who = await api('/api/whoami');
    } catch (err) {
      say(`gov ui: ${err.message}`, 'error');
      return;
    }
    view.role = who.role;
    document.body.dataset.role = view.role;
    $('#whoami').dataset.role = view.role;
    $('#whoami').textContent = `${view.role || 'unknown role'} ${who.name} · master ${who.master}`;
    for (const key of view.instances.keys()) addActions(instanceRow(key), key);
    renderRollouts();
  }

  void start();
})();
