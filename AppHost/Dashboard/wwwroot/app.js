// The Aetherium dashboard: plain JavaScript over the AppHost's JSON API (no build step, no libraries).
'use strict';

const main = document.getElementById('main');
let leaving = []; // what the current view must stop (timers, event streams) when another one opens

// ---- helpers -------------------------------------------------------------------------------------------------

/** Builds an element: attributes (on* become listeners), then children (strings become text, never HTML). */
function h(tag, attrs = {}, ...children) {
  const el = tag === 'svg' || attrs.svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false || k === 'svg') continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
const s = (tag, attrs = {}, ...children) => h(tag, { ...attrs, svg: true }, ...children);

async function api(path, options) {
  const response = await fetch(path, { credentials: 'same-origin', ...options });
  if (response.status === 401) { location.assign('/login'); throw new Error('signed out'); }
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch { /* not JSON */ }
    throw new Error(detail);
  }
  return response.status === 204 ? null : response.json();
}

function every(ms, fn) {
  let stopped = false;
  const tick = async () => { if (stopped) return; try { await fn(); } catch (e) { console.warn(e); } if (!stopped) timer = setTimeout(tick, ms); };
  let timer = setTimeout(tick, 0);
  leaving.push(() => { stopped = true; clearTimeout(timer); });
}

const time = iso => { const d = new Date(iso); return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0'); };
const since = iso => { const sec = Math.max(0, (Date.now() - new Date(iso)) / 1000); return sec < 90 ? `${sec.toFixed(0)} s ago` : sec < 5400 ? `${(sec / 60).toFixed(0)} min ago` : `${(sec / 3600).toFixed(1)} h ago`; };
const ms = v => v < 1 ? `${(v * 1000).toFixed(0)} µs` : v < 1000 ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : `${(v / 1000).toFixed(2)} s`;
function hue(name) { let x = 0; for (const c of name) x = (x * 31 + c.charCodeAt(0)) >>> 0; return x % 360; }
const chip = name => h('span', { class: 'chip', style: `--hue:${hue(name)}` }, name);
const kv = obj => { const entries = Object.entries(obj || {}); return entries.length ? h('dl', { class: 'kv' }, entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])) : h('p', { class: 'empty' }, 'none'); };
const query = () => new URLSearchParams(location.hash.split('?')[1] || '');
function setQuery(params) {
  const [path] = location.hash.split('?');
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v !== null && v !== undefined));
  history.replaceState(null, '', `${path}${q.toString() ? '?' + q : ''}`);
}
function select(id, label, options, value, onchange) {
  return h('label', { for: id }, label,
    h('select', { id, onchange }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

// ---- router --------------------------------------------------------------------------------------------------

const views = { resources, console: consoleView, logs, traces, metrics };

async function route() {
  leaving.forEach(stop => stop());
  leaving = [];
  const [path] = (location.hash || '#/resources').slice(2).split('?');
  const [section, ...rest] = path.split('/');
  const view = section === 'traces' && rest.length ? () => trace(decodeURIComponent(rest.join('/'))) : views[section] || resources;
  document.querySelectorAll('nav a').forEach(a => a.toggleAttribute('aria-current', a.dataset.section === (views[section] ? section : 'resources')));
  document.querySelectorAll('nav a[aria-current]').forEach(a => a.setAttribute('aria-current', 'page'));
  main.replaceChildren();
  try { await view(decodeURIComponent(rest.join('/'))); } catch (e) { main.append(h('p', { role: 'alert' }, `Could not load: ${e.message}`)); }
  main.focus({ preventScroll: true });
}
window.addEventListener('hashchange', route);

let telemetry = null;
async function telemetryInfo() {
  telemetry = await api('/api/telemetry');
  const note = document.getElementById('telemetry-note');
  if (telemetry.external_endpoint) {
    note.textContent = `Telemetry goes to the external collector at ${telemetry.external_endpoint}: traces, structured logs and metrics are shown there, not here.`;
    note.hidden = false;
  } else if (!telemetry.receiver) {
    note.textContent = 'The OTLP receiver is off: there are no traces, structured logs or metrics to show.';
    note.hidden = false;
  }
  return telemetry;
}

// ---- resources -----------------------------------------------------------------------------------------------

async function resources() {
  const status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const body = h('tbody');
  main.append(h('h2', {}, 'Resources'), status, h('div', { class: 'panel' }, h('table', {},
    h('caption', {}, 'Every resource of the app model, one row per replica. States follow Aspire’s names.'),
    h('thead', {}, h('tr', {}, ['Name', 'Type', 'State', 'Health', 'Started', 'Restarts', 'Endpoints', 'Actions', 'Environment'].map(c => h('th', { scope: 'col', class: c === 'Restarts' ? 'num' : null }, c)))),
    body)));
  const open = new Set();
  async function act(resource, action) {
    status.textContent = `${action} ${resource}…`;
    try { await api(`/api/resources/${encodeURIComponent(resource)}/${action}`, { method: 'POST' }); status.textContent = `${action} ${resource}: requested`; }
    catch (e) { status.textContent = `${action} ${resource} failed: ${e.message}`; }
  }
  every(2000, async () => {
    const { resources: list } = await api('/api/resources');
    body.replaceChildren(...list.map(r => {
      const running = r.state === 'Running' || r.state === 'Unhealthy';
      const env = h('details', { ontoggle: e => e.target.open ? open.add(r.name) : open.delete(r.name), open: open.has(r.name) },
        h('summary', {}, `${r.environment.length} variables`),
        h('dl', { class: 'kv' }, r.environment.flatMap(v => [h('dt', {}, v.name), h('dd', { title: v.secret ? 'secret: masked' : null }, v.value)])));
      return h('tr', { 'data-resource': r.name },
        h('th', { scope: 'row' }, h('a', { href: `#/console/${encodeURIComponent(r.name)}`, title: 'Console log' }, r.name)),
        h('td', {}, r.type),
        h('td', {}, h('span', { class: 'state', 'data-state': r.state }, r.state), r.state_reason && !running ? h('div', { class: 'muted' }, r.state_reason) : null),
        h('td', {}, r.health || '—'),
        h('td', { title: r.started_at || '' }, r.started_at ? since(r.started_at) : '—'),
        h('td', { class: 'num' }, r.restarts),
        h('td', {}, r.endpoints.map(e => h('div', {}, e.is_link ? h('a', { href: e.url, target: '_blank', rel: 'noopener' }, e.url) : h('span', { class: 'muted' }, e.url)))),
        h('td', {}, h('div', { class: 'actions' },
          h('button', { type: 'button', disabled: running || r.state === 'Starting' || r.state === 'Waiting', onclick: () => act(r.resource, 'start'), 'aria-label': `Start ${r.resource}` }, 'Start'),
          h('button', { type: 'button', disabled: !running && r.state !== 'Starting', onclick: () => act(r.resource, 'stop'), 'aria-label': `Stop ${r.resource}` }, 'Stop'),
          h('button', { type: 'button', disabled: !running, onclick: () => act(r.resource, 'restart'), 'aria-label': `Restart ${r.resource}` }, 'Restart'))),
        h('td', {}, r.environment.length ? env : h('span', { class: 'muted' }, '—')));
    }));
    const up = list.filter(r => r.state === 'Running').length;
    if (!status.textContent.includes('…')) status.textContent = `${up} of ${list.length} running`;
  });
}

// ---- console logs --------------------------------------------------------------------------------------------

async function consoleView(instance) {
  const { resources: list } = await api('/api/resources');
  const name = instance || list.find(r => r.type === 'Project')?.name || list[0]?.name;
  const q = query();
  const pre = h('pre', { class: 'console', tabindex: '0', 'aria-label': `Console output of ${name}`, 'aria-live': 'off' });
  const search = h('input', { id: 'console-search', type: 'search', value: q.get('search') || '', placeholder: 'text in a line' });
  const follow = h('input', { id: 'console-follow', type: 'checkbox', checked: true });
  const status = h('span', { class: 'muted', role: 'status' });
  main.append(h('h2', {}, 'Console logs'),
    h('form', { class: 'filters', onsubmit: e => { e.preventDefault(); setQuery({ search: search.value }); open(); } },
      select('console-resource', 'Resource', list.map(r => [r.name, r.name]), name, e => location.assign(`#/console/${encodeURIComponent(e.target.value)}`)),
      h('label', { for: 'console-search' }, 'Search', search),
      h('label', { for: 'console-follow', style: 'flex-direction:row;align-items:center' }, follow, ' Follow'),
      h('button', { type: 'submit' }, 'Apply'), status),
    h('div', { class: 'panel' }, pre));
  let source = null;
  leaving.push(() => source?.close());
  function open() {
    source?.close();
    pre.replaceChildren();
    const term = search.value.trim();
    source = new EventSource(`/api/console/${encodeURIComponent(name)}/stream${term ? '?search=' + encodeURIComponent(term) : ''}`);
    source.onopen = () => { status.textContent = 'live'; };
    source.onerror = () => { status.textContent = 'reconnecting…'; };
    source.onmessage = e => {
      const line = JSON.parse(e.data);
      pre.append(h('span', { class: line.error ? 'err' : null, 'data-seq': line.sequence }, `${line.text}\n`));
      while (pre.childNodes.length > 5000) pre.firstChild.remove();
      if (follow.checked) pre.scrollTop = pre.scrollHeight;
    };
  }
  open();
}

// ---- structured logs -----------------------------------------------------------------------------------------

async function logs() {
  const info = await telemetryInfo();
  const q = query();
  const text = h('input', { id: 'logs-text', type: 'search', value: q.get('text') || '', placeholder: 'message or attribute' });
  const body = h('tbody');
  const filters = () => ({ resource: document.getElementById('logs-resource').value, level: document.getElementById('logs-level').value, text: text.value.trim(), trace_id: q.get('trace_id') || '' });
  main.append(h('h2', {}, 'Structured logs'),
    h('form', { class: 'filters', onsubmit: e => { e.preventDefault(); setQuery(filters()); refresh(); } },
      select('logs-resource', 'Resource', [['', 'All'], ...info.services.map(x => [x, x])], q.get('resource') || '', () => { setQuery(filters()); refresh(); }),
      select('logs-level', 'Level and above', [['', 'All'], ['Debug', 'Debug'], ['Information', 'Information'], ['Warning', 'Warning'], ['Error', 'Error'], ['Critical', 'Critical']], q.get('level') || '', () => { setQuery(filters()); refresh(); }),
      h('label', { for: 'logs-text' }, 'Text', text),
      h('button', { type: 'submit' }, 'Filter'),
      q.get('trace_id') ? h('span', {}, 'Trace ', h('a', { href: `#/traces/${q.get('trace_id')}` }, q.get('trace_id').slice(0, 12)), ' ', h('a', { href: '#/logs' }, '(all logs)')) : null),
    h('div', { class: 'panel' }, h('table', {},
      h('caption', {}, 'Newest first, from the services’ OpenTelemetry logs.'),
      h('thead', {}, h('tr', {}, ['Time', 'Level', 'Resource', 'Message', 'Trace', 'Details'].map(c => h('th', { scope: 'col' }, c)))),
      body)));
  async function refresh() {
    const f = filters();
    const params = new URLSearchParams(Object.entries(f).filter(([, v]) => v));
    const { logs: list } = await api(`/api/logs?${params}`);
    body.replaceChildren(...(list.length ? list.map(l => h('tr', { 'data-sequence': l.sequence },
      h('td', { title: l.time }, time(l.time)),
      h('td', {}, h('span', { class: 'level', 'data-level': l.level }, l.level)),
      h('td', {}, l.resource),
      h('td', {}, l.message),
      h('td', {}, l.trace_id ? h('a', { href: `#/traces/${l.trace_id}` }, l.trace_id.slice(0, 8)) : '—'),
      h('td', {}, h('details', {}, h('summary', {}, 'attributes'), h('p', { class: 'muted' }, l.category), kv(l.attributes)))))
      : [h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No log records match.'))]));
  }
  every(3000, refresh);
}

// ---- traces --------------------------------------------------------------------------------------------------

async function traces() {
  const info = await telemetryInfo();
  const q = query();
  const minDuration = h('input', { id: 'traces-min', type: 'number', min: '0', step: 'any', value: q.get('min_duration_ms') || '', inputmode: 'decimal', style: 'width:8rem' });
  const body = h('tbody');
  const filters = () => ({ service: document.getElementById('traces-service').value, min_duration_ms: minDuration.value });
  main.append(h('h2', {}, 'Traces'),
    h('form', { class: 'filters', onsubmit: e => { e.preventDefault(); setQuery(filters()); refresh(); } },
      select('traces-service', 'Service', [['', 'All'], ...info.services.map(x => [x, x])], q.get('service') || '', () => { setQuery(filters()); refresh(); }),
      h('label', { for: 'traces-min' }, 'Minimum duration (ms)', minDuration),
      h('button', { type: 'submit' }, 'Filter')),
    h('div', { class: 'panel' }, h('table', {},
      h('caption', {}, 'Newest first. A trace follows one request across services.'),
      h('thead', {}, h('tr', {}, ['Time', 'Name', 'Services', 'Spans', 'Duration'].map(c => h('th', { scope: 'col', class: c === 'Spans' ? 'num' : null }, c)))),
      body)));
  async function refresh() {
    const params = new URLSearchParams(Object.entries(filters()).filter(([, v]) => v));
    const { traces: list } = await api(`/api/traces?${params}`);
    const longest = Math.max(1, ...list.map(t => t.duration_ms));
    body.replaceChildren(...(list.length ? list.map(t => h('tr', { 'data-trace-id': t.trace_id, 'data-service-count': t.services.length },
      h('td', { title: t.start }, time(t.start)),
      h('td', {}, h('a', { href: `#/traces/${t.trace_id}` }, `${t.root_service}: ${t.name}`), t.has_error ? h('span', { class: 'level', 'data-level': 'Error' }, ' error') : null),
      h('td', {}, t.services.map(chip)),
      h('td', { class: 'num' }, t.span_count),
      h('td', {}, ms(t.duration_ms), h('div', { class: 'durbar', style: `width:${(t.duration_ms / longest * 100).toFixed(1)}%` }))))
      : [h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No traces yet.'))]));
  }
  every(3000, refresh);
}

async function trace(id) {
  const t = await api(`/api/traces/${encodeURIComponent(id)}`);
  const root = t.spans[0];
  const total = Math.max(t.duration_ms, 0.001);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(f => h('span', { style: `position:absolute;white-space:nowrap;left:${f * 100}%;transform:translateX(${f === 1 ? '-100%' : f ? '-50%' : '0'})` }, ms(total * f)));
  main.append(h('h2', {}, `Trace: ${root.service} ${root.name}`),
    h('div', { class: 'panel' }, h('dl', { class: 'kv' },
      h('dt', {}, 'Trace ID'), h('dd', {}, t.trace_id),
      h('dt', {}, 'Services'), h('dd', { 'data-services': t.services.length }, t.services.map(chip)),
      h('dt', {}, 'Started'), h('dd', {}, `${time(t.start)} (${new Date(t.start).toISOString()})`),
      h('dt', {}, 'Duration'), h('dd', {}, ms(t.duration_ms)),
      h('dt', {}, 'Spans'), h('dd', {}, t.span_count)),
      h('p', {}, h('a', { href: `#/logs?trace_id=${t.trace_id}` }, 'Structured logs of this trace'), ' · ', h('a', { href: '#/traces' }, 'All traces'))),
    h('div', { class: 'panel' },
      h('div', { class: 'row muted', style: 'display:grid;grid-template-columns:minmax(16rem,38%) 1fr 5.5rem;gap:.6rem', 'aria-hidden': 'true' },
        h('span', {}, 'Span'), h('div', { style: 'position:relative;height:1.2rem' }, ticks), h('span', {}, 'Duration')),
      h('ul', { class: 'waterfall', 'aria-label': 'Spans in call order' }, t.spans.map((span, i) => {
        const detailId = `span-${i}`;
        const detail = h('div', { class: 'detail', id: detailId, hidden: true },
          h('dl', { class: 'kv' },
            h('dt', {}, 'Service'), h('dd', {}, `${span.service}${span.instance ? ' (' + span.instance + ')' : ''}`),
            h('dt', {}, 'Kind'), h('dd', {}, span.kind),
            h('dt', {}, 'Status'), h('dd', {}, span.status + (span.status_message ? `: ${span.status_message}` : '')),
            h('dt', {}, 'Scope'), h('dd', {}, span.scope),
            h('dt', {}, 'Span ID'), h('dd', {}, span.span_id),
            h('dt', {}, 'Starts at'), h('dd', {}, ms(span.offset_ms))),
          h('h3', {}, 'Attributes'), kv(span.attributes),
          span.events.length ? [h('h3', {}, 'Events'), h('ul', {}, span.events.map(e => h('li', {}, `${ms(e.offset_ms)} ${e.name}`, kv(e.attributes))))] : null);
        const row = h('button', { type: 'button', class: 'row', 'aria-expanded': 'false', 'aria-controls': detailId,
          onclick: () => { const open = row.getAttribute('aria-expanded') !== 'true'; row.setAttribute('aria-expanded', open); detail.hidden = !open; } },
          h('span', { class: 'name', style: `padding-left:${span.depth * 1.1}rem` }, chip(span.service), ' ', span.name),
          h('span', { class: 'track', 'aria-label': `starts at ${ms(span.offset_ms)}, lasts ${ms(span.duration_ms)}` },
            h('span', { class: `bar${span.status === 'Error' ? ' error' : ''}`, style: `--hue:${hue(span.service)};left:${(span.offset_ms / total * 100).toFixed(2)}%;width:${(span.duration_ms / total * 100).toFixed(2)}%` })),
          h('span', { class: 'num' }, ms(span.duration_ms)));
        return h('li', { 'data-service': span.service, 'data-kind': span.kind }, row, detail);
      }))));
}

// ---- metrics -------------------------------------------------------------------------------------------------

const palette = ['#0b5cad', '#c4432b', '#1a7f37', '#8250df', '#9a6700', '#0a7ea4', '#bf3989', '#57606a'];

/** A line chart in SVG: series of [time ms, value|null] points, gaps where a value is missing. */
function chart(title, unitLabel, series, format = v => v.toFixed(2)) {
  const W = 560, H = 190, L = 52, R = 10, T = 10, B = 24;
  const all = series.flatMap(x => x.points.filter(p => p[1] !== null && Number.isFinite(p[1])));
  const fig = h('figure', { class: 'chart' }, h('figcaption', {}, title, unitLabel ? h('span', { class: 'muted' }, ` (${unitLabel})`) : null));
  if (!all.length) { fig.append(h('p', { class: 'empty' }, 'No data in this window yet.')); return fig; }
  const times = series.flatMap(x => x.points.map(p => p[0]));
  const t0 = Math.min(...times), t1 = Math.max(...times, t0 + 1);
  const raw = Math.max(...all.map(p => p[1]), 0);
  const mag = raw > 0 ? 10 ** Math.floor(Math.log10(raw)) : 1;
  const max = raw > 0 ? Math.ceil(raw / mag * 1.05) * mag : 1;
  const x = t => L + (t - t0) / (t1 - t0) * (W - L - R), y = v => T + (1 - v / max) * (H - T - B);
  const latest = series.map(sr => { const p = [...sr.points].reverse().find(q => q[1] !== null); return `${sr.label} ${p ? format(p[1]) : 'none'}`; }).join(', ');
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title}: latest ${latest}` }, s('title', {}, `${title}: latest ${latest}`));
  for (const f of [0, 0.5, 1]) {
    svg.append(s('line', { class: 'axis', x1: L, x2: W - R, y1: y(max * f), y2: y(max * f) }),
      s('text', { x: L - 6, y: y(max * f) + 3, 'text-anchor': 'end' }, format(max * f)));
  }
  for (const f of [0, 0.5, 1]) {
    const t = t0 + (t1 - t0) * f;
    svg.append(s('text', { x: x(t), y: H - 6, 'text-anchor': f === 0 ? 'start' : f === 1 ? 'end' : 'middle' }, new Date(t).toLocaleTimeString([], { hour12: false })));
  }
  series.forEach((sr, i) => {
    let d = '', pen = false;
    for (const [t, v] of sr.points) {
      if (v === null || !Number.isFinite(v)) { pen = false; continue; }
      d += `${pen ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    }
    svg.append(s('path', { d, fill: 'none', stroke: sr.color || palette[i % palette.length], 'stroke-width': 2, 'stroke-linejoin': 'round' }));
  });
  fig.append(svg, h('div', { class: 'legend' }, series.map((sr, i) => h('span', { style: `--c:${sr.color || palette[i % palette.length]}` }, sr.label))));
  return fig;
}

/** Seconds are shown as milliseconds; a rate is per second. */
function unitOf(unit) { return unit === 's' ? { label: 'ms', scale: 1000 } : { label: unit.replace(/[{}]/g, '') || '', scale: 1 }; }

function chartFor(c, title) {
  const points = c.points.map(p => [new Date(p.time).getTime(), p]);
  const pick = key => points.map(([t, p]) => [t, p[key] ?? null]);
  const u = unitOf(c.unit);
  if (c.kind === 'histogram') {
    return [
      chart(`${title}: rate`, 'per second', [{ label: 'per second', points: pick('rate') }]),
      chart(`${title}: latency`, u.label, ['p50', 'p90', 'p99'].map(k => ({ label: k, points: pick(k).map(([t, v]) => [t, v === null ? null : v * u.scale]) })), v => v.toFixed(v < 10 ? 1 : 0)),
    ];
  }
  if (c.kind === 'sum' && c.is_monotonic) return [chart(`${title}`, `${u.label ? u.label + ' ' : ''}per second`, [{ label: 'per second', points: pick('rate') }])];
  return [chart(title, u.label, [{ label: 'value', points: pick('value').map(([t, v]) => [t, v === null ? null : v * u.scale]) }])];
}

async function metrics() {
  const info = await telemetryInfo();
  const q = query();
  const service = q.get('service') || '';
  const key = h('div', { class: 'charts' }), own = h('div', { class: 'charts' }), queues = h('div'), picked = h('div', { class: 'charts' });
  const { instruments } = await api(`/api/metrics${service ? '?service=' + encodeURIComponent(service) : ''}`);
  const names = [...new Set(instruments.map(i => i.name))].sort();
  const instrument = q.get('instrument') || '';
  main.append(h('h2', {}, 'Metrics'),
    h('form', { class: 'filters', onsubmit: e => e.preventDefault() },
      select('metrics-service', 'Service', [['', 'All'], ...info.services.map(x => [x, x])], service, e => { setQuery({ service: e.target.value, instrument }); route(); }),
      select('metrics-instrument', 'Instrument', [['', '(choose one)'], ...names.map(n => [n, n])], instrument, e => { setQuery({ service, instrument: e.target.value }); route(); })),
    h('h3', {}, 'HTTP requests'), key,
    h('h3', {}, 'Aetherium'), own,
    h('h3', {}, 'Queue depths'), queues,
    ...(instrument ? [h('h3', {}, instrument), picked] : []));
  const ownNames = [...new Set(instruments.filter(i => i.scope === 'Aetherium').map(i => i.name))].sort();
  const q1 = service ? `&service=${encodeURIComponent(service)}` : '';
  const load = name => api(`/api/metrics/chart?name=${encodeURIComponent(name)}${q1}&window=300&step=5`).catch(() => null);
  every(5000, async () => {
    const http = names.includes('http.server.request.duration') ? await load('http.server.request.duration') : null;
    key.replaceChildren(...(http ? chartFor(http, 'http.server.request.duration') : [h('p', { class: 'empty' }, 'No HTTP server requests recorded yet.')]));
    const charts = await Promise.all(ownNames.map(load));
    own.replaceChildren(...(ownNames.length ? charts.flatMap((c, i) => c ? chartFor(c, ownNames[i]) : []) : [h('p', { class: 'empty' }, 'The services have not reported instruments of the Aetherium meter yet (heartbeats, placements…).')]));
    const depth = await api('/api/queues');
    if (!depth.available) queues.replaceChildren(h('p', { class: 'empty' }, depth.reason));
    else {
      const top = depth.queues.slice(0, 8);
      queues.replaceChildren(h('div', { class: 'charts' }, chart('Messages waiting', 'messages', top.map(x => ({ label: x.name, points: x.history.map(p => [new Date(p.time).getTime(), p.messages]) })), v => v.toFixed(0))),
        h('div', { class: 'panel' }, h('table', {}, h('caption', {}, `${depth.total} queues, deepest first`),
          h('thead', {}, h('tr', {}, ['Queue', 'Virtual host', 'Messages', 'Ready', 'Unacked', 'Consumers'].map(c => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, depth.queues.map(x => h('tr', { 'data-queue': x.name }, h('td', {}, x.name), h('td', {}, x.vhost), h('td', { class: 'num' }, x.messages), h('td', { class: 'num' }, x.ready), h('td', { class: 'num' }, x.unacknowledged), h('td', { class: 'num' }, x.consumers)))))));
    }
    if (instrument) { const c = await load(instrument); picked.replaceChildren(...(c ? chartFor(c, instrument) : [h('p', { class: 'empty' }, 'No data.')])); }
  });
}

telemetryInfo().catch(() => { /* the views say it */ });
route();
