// Ballot's dashboard: renders this node's /v1/events stream (history once, then status every
// second, elections and writes as they happen) and offers a put/get form over /v1/kv.
// Plain ES2020, no dependencies. Every text that comes from a server goes into the page through
// textContent or text nodes, never innerHTML.
'use strict';

const CHART_WINDOW_MS = 5 * 60 * 1000;
const MAX_WRITES = 50;
const MAX_ELECTIONS = 20;
// A status event is due every second; this long without one means the stream stalled.
const STALLED_AFTER_MS = 3500;
// EventSource gives up (readyState CLOSED) on an HTTP error answer; we then retry ourselves.
const RECONNECT_AFTER_CLOSE_MS = 2000;

const state = {
  status: null,
  samples: [],
  elections: [],
  writes: [],
  conn: 'connecting',
  lastStatusAtMs: 0,
  lostAtMs: null,
};

const byId = (id) => document.getElementById(id);

/** An element with attributes and children; strings become text nodes (never parsed as HTML). */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') node.className = value;
    else node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function text(value, fallback = '—') {
  return value === null || value === undefined || value === '' ? fallback : String(value);
}

function clockTime(ms) {
  if (typeof ms !== 'number') return '';
  return new Date(ms).toLocaleTimeString([], { hour12: false });
}

/** A write's key as text: keys that are not UTF-8 come as key_base64. */
function keyOf(write) {
  if (typeof write.key === 'string') return write.key;
  if (typeof write.key_base64 === 'string') return 'base64:' + write.key_base64;
  return '?';
}

function leaderLabel(name, id) {
  if (!id) return 'no leader';
  return name ? String(name) : 'member ' + id;
}

// ---- connection ------------------------------------------------------------------------------

function setConn(conn) {
  state.conn = conn;
  if (conn === 'connected') state.lostAtMs = null;
  else if (conn !== 'connecting' && state.lostAtMs === null) state.lostAtMs = Date.now();
  renderConn();
}

function renderConn() {
  const badge = byId('conn-state');
  const banner = byId('conn-banner');
  const node = state.status && state.status.node;
  const who = node ? `${text(node.name, 'this node')} (${location.host})` : location.host;
  const since = state.lostAtMs === null ? '' : ` at ${clockTime(state.lostAtMs)}`;
  let label;
  let warning = '';
  switch (state.conn) {
    case 'connected':
      label = 'live';
      break;
    case 'connecting':
      label = 'connecting…';
      break;
    case 'stalled': {
      const secs = Math.round((Date.now() - state.lastStatusAtMs) / 1000);
      label = `no update for ${secs} s`;
      warning = `${who} has sent no update for ${secs} s; it may be stopped or overloaded.`;
      break;
    }
    default:
      label = 'reconnecting…';
      warning =
        `Lost the connection to ${who}${since}: the node is down or unreachable. ` +
        'Reconnecting…; everything below is as it was last seen.';
  }
  badge.dataset.state = state.conn;
  badge.textContent = label;
  document.body.dataset.conn = state.conn;
  banner.hidden = warning === '';
  banner.textContent = warning;
}

function connect() {
  const events = new EventSource('/v1/events');
  events.addEventListener('open', () => {
    state.lastStatusAtMs = Date.now();
    setConn('connected');
  });
  events.addEventListener('error', () => {
    if (events.readyState === EventSource.CLOSED) {
      setConn('closed');
      setTimeout(connect, RECONNECT_AFTER_CLOSE_MS);
    } else {
      setConn('reconnecting');
    }
  });
  events.addEventListener('history', (e) => handle(e, onHistory));
  events.addEventListener('status', (e) => handle(e, onStatus));
  events.addEventListener('election', (e) => handle(e, onElection));
  events.addEventListener('write', (e) => handle(e, onWrite));
}

function handle(event, handler) {
  let data;
  try {
    data = JSON.parse(event.data);
  } catch (err) {
    console.error('unparseable', event.type, 'event:', event.data);
    return;
  }
  handler(data);
}

// ---- events ----------------------------------------------------------------------------------

function onHistory(history) {
  // Sent first on every (re)connection: it replaces what the page held.
  state.samples = [];
  (history.samples || []).forEach(addSample);
  state.elections = (history.elections || []).slice(-MAX_ELECTIONS).reverse();
  state.writes = (history.writes || []).slice(-MAX_WRITES).reverse();
  renderCharts();
  renderElections();
  renderWrites();
}

function onStatus(status) {
  state.status = status;
  state.lastStatusAtMs = Date.now();
  if (state.conn !== 'connected') setConn('connected');
  if (status.sample) {
    addSample(status.sample);
    renderCharts();
  }
  renderSummary();
  renderMembers();
}

function onElection(election) {
  state.elections.unshift(election);
  state.elections.length = Math.min(state.elections.length, MAX_ELECTIONS);
  renderElections();
}

function onWrite(write) {
  state.writes.unshift(write);
  state.writes.length = Math.min(state.writes.length, MAX_WRITES);
  renderWrites();
}

function addSample(sample) {
  if (!sample || typeof sample.time_ms !== 'number') return;
  const last = state.samples[state.samples.length - 1];
  if (last && sample.time_ms <= last.time_ms) {
    if (sample.time_ms === last.time_ms) state.samples[state.samples.length - 1] = sample;
    return;
  }
  state.samples.push(sample);
  const oldest = sample.time_ms - CHART_WINDOW_MS;
  while (state.samples.length > 0 && state.samples[0].time_ms < oldest) state.samples.shift();
}

// ---- rendering -------------------------------------------------------------------------------

function renderSummary() {
  const node = state.status.node || {};
  byId('node-name').textContent = text(node.name, `member ${text(node.id, '?')}`);
  byId('node-role').textContent = node.role ? `${node.role}, id ${node.id}` : `id ${text(node.id)}`;
  const leaderName = byId('leader-name');
  leaderName.textContent = leaderLabel(node.leader_name, node.leader_id);
  leaderName.dataset.leaderId = String(node.leader_id || 0);
  byId('leader-id').textContent = node.leader_id ? `id ${node.leader_id}` : '';
  byId('term').textContent = text(node.term);
  byId('revision').textContent = text(node.revision);
  byId('commit-index').textContent = text(node.commit_index);
  document.title = `Ballot · ${text(node.name, location.host)}`;
}

function renderMembers() {
  const status = state.status;
  const selfId = status.node ? status.node.id : null;
  const rows = (status.members || []).map((m) => memberRow(m, selfId));
  document.querySelector('#members tbody').replaceChildren(...rows);
}

function memberRow(m, selfId) {
  const classes = [];
  if (m.role === 'leader') classes.push('leader');
  if (!m.healthy) classes.push('unhealthy');
  if (m.id === selfId) classes.push('self');
  const health = m.healthy
    ? el('span', { class: 'ok' }, 'healthy')
    : el('span', {}, 'unhealthy', el('span', { class: 'member-error' }, text(m.error, 'no answer')));
  const role = text(m.role, 'unknown') + (m.learner && m.role !== 'learner' ? ' (learner)' : '');
  return el(
    'tr',
    {
      'data-member-id': m.id,
      'data-role': m.role || 'unknown',
      'data-healthy': m.healthy ? 'true' : 'false',
      class: classes.join(' '),
    },
    el('td', { class: 'num mono' }, text(m.id)),
    el('td', { class: 'name' }, text(m.name)),
    el('td', { class: 'mono' }, text(m.client_addr)),
    el('td', { class: 'role' }, role),
    el('td', { class: 'num' }, text(m.term)),
    el('td', { class: 'health', 'data-error': m.healthy ? null : text(m.error, '') }, health),
    el('td', { class: 'num' }, text(m.lag)),
    el('td', { class: 'num' }, text(m.applied_index)),
  );
}

function renderElections() {
  const items = state.elections.map((e) =>
    el(
      'li',
      { 'data-term': e.term, 'data-leader-id': e.leader_id || 0, class: e.leader_id ? null : 'no-leader' },
      el('span', { class: 'time' }, clockTime(e.time_ms)),
      el('span', { class: 'rev' }, `term ${text(e.term)}`),
      el(
        'span',
        { class: 'what' },
        e.leader_id ? `${leaderLabel(e.leader_name, e.leader_id)} (id ${e.leader_id}) leads` : 'leader lost',
      ),
    ),
  );
  byId('elections').replaceChildren(...items);
  showEmpty('elections', items.length === 0);
}

function renderWrites() {
  const items = state.writes.map((w) => {
    const key = keyOf(w);
    return el(
      'li',
      { 'data-key': key, 'data-revision': w.revision, 'data-type': w.type },
      el('span', { class: `type ${w.type === 'DELETE' ? 'DELETE' : 'PUT'}` }, text(w.type)),
      el('span', { class: 'key', title: key }, key),
      el('span', { class: 'rev' }, `rev ${text(w.revision)}`),
      el('span', { class: 'time' }, clockTime(w.time_ms)),
    );
  });
  byId('writes').replaceChildren(...items);
  showEmpty('writes', items.length === 0);
}

function showEmpty(listId, empty) {
  document.querySelector(`[data-empty-for="${listId}"]`).hidden = !empty;
}

function formatNumber(value, digits) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  return value.toFixed(digits);
}

// Commit latency (proposal to apply) is measured where writes are proposed: on the leader. A
// follower's page charts the latency of the writes made through that node instead.
const LATENCIES = {
  commit: {
    name: 'Commit latency',
    what: 'from proposal to apply, on this node (the leader)',
    p50: 'commit_p50_ms',
    p99: 'commit_p99_ms',
  },
  write: {
    name: 'Write latency',
    what: 'of the writes made through this node (commit latency: see the leader)',
    p50: 'write_p50_ms',
    p99: 'write_p99_ms',
  },
};

function latencyShown() {
  const node = state.status && state.status.node;
  if (node) return node.role === 'leader' ? LATENCIES.commit : LATENCIES.write;
  return state.samples.some((s) => typeof s.commit_p50_ms === 'number') ? LATENCIES.commit : LATENCIES.write;
}

function renderCharts() {
  const samples = state.samples;
  const latest = samples[samples.length - 1];
  const endMs = latest ? latest.time_ms : Date.now();
  drawChart(byId('chart-throughput'), endMs, [
    { color: '--chart-a', points: samples.map((s) => [s.time_ms, s.writes_per_sec]) },
  ], 'no samples yet');
  const latency = latencyShown();
  drawChart(byId('chart-latency'), endMs, [
    { color: '--chart-a', points: samples.map((s) => [s.time_ms, s[latency.p50]]) },
    { color: '--chart-b', points: samples.map((s) => [s.time_ms, s[latency.p99]]) },
  ], 'no writes measured in the last 5 minutes');
  byId('latency-name').textContent = latency.name;
  byId('latency-what').textContent = latency.what;
  byId('throughput-now').textContent = latest ? `${formatNumber(latest.writes_per_sec, 1)} /s now` : '';
  let latencyNow = '';
  if (latest && typeof latest[latency.p50] === 'number') {
    latencyNow = `p50 ${formatNumber(latest[latency.p50], 1)} · p99 ${formatNumber(latest[latency.p99], 1)} ms`;
  } else if (latest) {
    latencyNow = 'no writes now';
  }
  byId('latency-now').textContent = latencyNow;
}

/** A round upper bound for the y axis: 1, 2 or 5 times a power of ten, at least maxValue. */
function niceCeiling(maxValue) {
  if (!(maxValue > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(maxValue));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= maxValue) return step * power;
  }
  return 10 * power;
}

/**
 * Lines of [timeMs, value|null] over the last CHART_WINDOW_MS up to endMs; null leaves a gap, and
 * emptyText stands in the middle when there is no value at all.
 */
function drawChart(canvas, endMs, series, emptyText) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (width === 0 || height === 0) return;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);

  const css = getComputedStyle(document.documentElement);
  const colour = (name) => css.getPropertyValue(name).trim();
  const pad = { left: 44, right: 8, top: 8, bottom: 20 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const startMs = endMs - CHART_WINDOW_MS;

  let maxValue = 0;
  for (const s of series) {
    for (const [, v] of s.points) if (typeof v === 'number' && v > maxValue) maxValue = v;
  }
  const yMax = niceCeiling(maxValue);
  const x = (t) => pad.left + ((t - startMs) / CHART_WINDOW_MS) * plotW;
  const y = (v) => pad.top + plotH - (v / yMax) * plotH;

  ctx.font = '11px system-ui, sans-serif';
  ctx.lineWidth = 1;
  ctx.strokeStyle = colour('--chart-grid');
  ctx.fillStyle = colour('--muted');
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    const py = Math.round(y(v)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(pad.left, py);
    ctx.lineTo(width - pad.right, py);
    ctx.stroke();
    ctx.fillText(String(Number(v.toPrecision(3))), pad.left - 6, py);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (let minute = 5; minute >= 0; minute--) {
    const px = x(endMs - minute * 60000);
    ctx.fillText(minute === 0 ? 'now' : `-${minute}m`, Math.min(px, width - pad.right - 12), height - pad.bottom + 5);
  }

  if (maxValue === 0 && !series.some((s) => s.points.some(([, v]) => typeof v === 'number'))) {
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(emptyText, pad.left + plotW / 2, pad.top + plotH / 2);
    return;
  }

  ctx.save();
  ctx.beginPath();
  ctx.rect(pad.left, pad.top, plotW, plotH);
  ctx.clip();
  ctx.lineWidth = 1.8;
  ctx.lineJoin = 'round';
  for (const s of series) {
    ctx.strokeStyle = colour(s.color);
    ctx.beginPath();
    let drawing = false;
    for (const [t, v] of s.points) {
      if (typeof v !== 'number') {
        drawing = false;
        continue;
      }
      if (drawing) ctx.lineTo(x(t), y(v));
      else ctx.moveTo(x(t), y(v));
      drawing = true;
    }
    ctx.stroke();
  }
  ctx.restore();
}

// ---- put / get -------------------------------------------------------------------------------

function showResult(outcome, ...children) {
  const out = byId('kv-result');
  out.dataset.outcome = outcome;
  out.replaceChildren(...children);
}

/** A failed answer's message: the JSON error field, else the HTTP status. */
async function errorOf(response) {
  try {
    const body = await response.json();
    if (body && body.error) return body.code ? `${body.error} (${body.code})` : String(body.error);
  } catch (err) {
    // Not JSON: the status line says what there is to say.
  }
  return `HTTP ${response.status} ${response.statusText}`;
}

async function kvRequest(method) {
  const key = byId('kv-key').value;
  if (key === '') {
    showResult('error', 'Enter a key.');
    return;
  }
  const url = '/v1/kv/' + encodeURIComponent(key);
  const init = { method, headers: { Accept: 'application/json' } };
  if (method === 'PUT') {
    init.body = byId('kv-value').value;
    init.headers['Content-Type'] = 'text/plain; charset=utf-8';
  }
  for (const button of document.querySelectorAll('#kv-form button')) button.disabled = true;
  try {
    const response = await fetch(url, init);
    if (method === 'GET' && response.status === 404) {
      showResult('not-found', `${key}: not found`);
    } else if (!response.ok) {
      showResult('error', `${method} ${key} failed: ${await errorOf(response)}`);
    } else {
      const body = await response.json();
      if (method === 'PUT') {
        const revision = body.header ? body.header.revision : undefined;
        showResult('ok', `Stored ${key} at revision ${text(revision, '?')}.`);
      } else {
        showValue(key, body);
      }
    }
  } catch (err) {
    showResult('error', `${method} ${key} failed: ${err.message} (is this node up?)`);
  } finally {
    for (const button of document.querySelectorAll('#kv-form button')) button.disabled = false;
  }
}

function showValue(key, body) {
  const kv = (body.kvs || [])[0];
  if (!kv) {
    showResult('not-found', `${key}: not found`);
    return;
  }
  const value = typeof kv.value === 'string' ? kv.value : `base64:${text(kv.value_base64, '')}`;
  showResult(
    'ok',
    `${key} (mod revision ${text(kv.mod_revision)}, version ${text(kv.version)})`,
    el('span', { class: 'value', id: 'kv-value-shown' }, value),
  );
}

// ---- start -----------------------------------------------------------------------------------

function start() {
  byId('kv-form').addEventListener('submit', (e) => {
    e.preventDefault();
    kvRequest('PUT');
  });
  byId('kv-get').addEventListener('click', () => kvRequest('GET'));
  window.addEventListener('resize', renderCharts);
  setInterval(() => {
    if (state.conn === 'connected' && Date.now() - state.lastStatusAtMs > STALLED_AFTER_MS) {
      setConn('stalled');
    } else if (state.conn === 'stalled') {
      renderConn();
    }
  }, 1000);
  renderConn();
  renderCharts();
  showEmpty('elections', true);
  showEmpty('writes', true);
  connect();
}

start();
