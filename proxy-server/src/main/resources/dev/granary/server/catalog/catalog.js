// Granary's catalog page. Plain script, no build step. Everything from the server (module paths
// included) enters the page as text (textContent, text nodes, attribute values): never as markup.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);

  /** An element with attributes and children (strings become text nodes). */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      if (k === 'class') e.className = v; else e.setAttribute(k, String(v));
    }
    for (const c of children) {
      if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }

  async function getJSON(url) {
    const r = await fetch(url, { headers: { Accept: 'application/json' } });
    const body = await r.json().catch(() => ({ error: 'unreadable answer (' + r.status + ')' }));
    if (!r.ok) throw new Error(body.error || ('HTTP ' + r.status));
    return body;
  }

  function bytes(n) {
    if (n === null || n === undefined || n < 0) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0; let v = n;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)) + ' ' + units[i];
  }

  function when(iso) {
    if (!iso) return 'never';
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }

  function percent(r) {
    return (r === null || r === undefined || isNaN(r)) ? '–' : (100 * r).toFixed(1) + ' %';
  }

  /** A module path as the GOPROXY protocol escapes it: '!x' for an upper-case 'X'. */
  function escapePath(p) {
    return p.replace(/[A-Z]/g, (c) => '!' + c.toLowerCase());
  }

  function apiModule(path) {
    return '/-/api/modules/' + escapePath(path).split('/').map(encodeURIComponent).join('/');
  }

  function card(title, big, sub, ratio) {
    const c = el('div', { class: 'card' }, el('h3', {}, title), el('div', { class: 'big' }, big));
    if (sub) c.append(el('div', { class: 'sub' }, sub));
    if (ratio !== undefined && ratio !== null && !isNaN(ratio)) {
      const fill = el('span');
      fill.style.width = Math.max(0, Math.min(100, 100 * ratio)) + '%';
      c.append(el('div', { class: 'bar' }, fill));
    }
    return c;
  }

  async function loadStats() {
    const box = $('stats');
    try {
      const s = await getJSON('/-/api/stats');
      box.replaceChildren();
      box.append(card('Modules', s.modules, (s.indexReady ? '' : 'indexing… · ') + s.versions + ' versions stored'));
      for (const t of s.tiers) {
        let sub = t.hits + ' hits · ' + t.misses + ' misses';
        let ratio = t.hitRatio;
        if (t.capacityBytes) { sub = bytes(t.bytes) + ' of ' + bytes(t.capacityBytes) + ' · ' + sub; }
        if (t.totalBytes) { sub = bytes(t.freeBytes) + ' free of ' + bytes(t.totalBytes) + ' · ' + sub; }
        box.append(card(t.tier + ' tier hit ratio', percent(t.hitRatio), sub, ratio));
      }
      box.append(card('Upstream fetches', s.upstream.fetches, s.upstream.failures + ' failed'));
      box.append(card('Versions committed', s.verification.committed, s.verification.failures + ' refused by verification'));
      box.append(card('Requests', s.requests.total, s.requests.serverErrors + ' server errors'));
    } catch (e) {
      box.replaceChildren(el('div', { class: 'card error' }, 'stats unavailable: ' + e.message));
    }
  }

  async function showSearch(q) {
    $('module').hidden = true;
    const box = $('results');
    box.hidden = false;
    if ($('q').value !== q) $('q').value = q;
    try {
      const data = await getJSON('/-/api/modules?q=' + encodeURIComponent(q) + '&limit=200');
      if ($('q').value.trim() !== q) return; // a newer search is under way
      const panel = el('div', { class: 'panel', id: 'module-list' },
        el('h2', {}, q ? 'Modules matching “' + q + '”' : 'Stored modules'),
        el('p', { class: 'count' }, data.total + (data.total === 1 ? ' module' : ' modules')
          + (data.total > data.modules.length ? ' (first ' + data.modules.length + ' shown)' : '')
          + (data.ready ? '' : ' · the index is still being built')));
      const list = el('ul', { class: 'modules' });
      for (const m of data.modules) {
        list.append(el('li', {}, el('a', { href: '#/m/' + encodeURIComponent(m.path), class: 'module-link' },
          el('span', { class: 'path' }, m.path),
          el('span', { class: 'meta' }, m.versions + (m.versions === 1 ? ' version' : ' versions') + ' · latest ' + m.latest))));
      }
      if (data.modules.length === 0) list.append(el('li', { class: 'empty' }, 'No stored module matches.'));
      panel.append(list);
      box.replaceChildren(panel);
    } catch (e) {
      box.replaceChildren(el('div', { class: 'panel error' }, 'search failed: ' + e.message));
    }
  }

  const STATE_TEXT = {
    'checksum-database': 'verified',
    'pinned': 'pinned (private)',
    'snapshot': 'imported',
    'unverified': 'not verified'
  };

  function verification(v) {
    const cell = el('td', { class: 'verification' });
    const list = v.verification.length ? v.verification : [{ kind: 'unverified', detail: 'checksum verification was off' }];
    for (const x of list) {
      cell.append(el('span', { class: 'state state-' + x.kind, title: x.detail }, STATE_TEXT[x.kind] || x.kind), ' ',
        el('span', { class: 'meta' }, x.detail), el('br'));
    }
    return cell;
  }

  async function showModule(path) {
    $('results').hidden = true;
    const box = $('module');
    box.hidden = false;
    box.replaceChildren(el('div', { class: 'panel' }, el('p', { class: 'count' }, 'loading ', path, '…')));
    try {
      const m = await getJSON(apiModule(path));
      const latest = m.versions.length ? m.versions[0].version : '';
      const table = el('table', { id: 'versions' },
        el('thead', {}, el('tr', {}, ...['Version', 'Fetched', 'Last requested', 'Size', 'h1 (zip)', 'go.mod h1', 'Verification']
          .map((h) => el('th', {}, h)))));
      const body = el('tbody');
      for (const v of m.versions) {
        body.append(el('tr', { class: 'version-row', 'data-version': v.version },
          el('td', { class: 'path' }, v.version),
          el('td', { class: 'nowrap' }, when(v.fetched)),
          el('td', { class: 'nowrap' }, when(v.lastRequested)),
          el('td', { class: 'nowrap' }, bytes(v.zipBytes)),
          el('td', { class: 'h1' }, v.h1 || '–'),
          el('td', { class: 'h1' }, v.goModH1 || '–'),
          verification(v)));
      }
      table.append(body);
      box.replaceChildren(el('div', { class: 'panel' },
        el('a', { class: 'back', href: '#/' }, '← all modules'),
        el('h2', { class: 'path', id: 'module-path' }, m.path),
        el('p', { class: 'count' }, m.versionCount + (m.versionCount === 1 ? ' version stored' : ' versions stored')
          + (m.truncated ? ' (newest ' + m.versions.length + ' shown)' : '')),
        el('p', { class: 'hint' }, 'go get ', el('code', {}, m.path + '@' + latest)),
        table));
    } catch (e) {
      box.replaceChildren(el('div', { class: 'panel' }, el('a', { class: 'back', href: '#/' }, '← all modules'),
        el('p', { class: 'error' }, e.message)));
    }
  }

  function route() {
    const h = location.hash || '#/';
    if (h.startsWith('#/m/')) {
      let path;
      try { path = decodeURIComponent(h.slice(4)); } catch (e) { path = h.slice(4); }
      showModule(path);
    } else {
      const i = h.indexOf('?');
      showSearch(i < 0 ? '' : (new URLSearchParams(h.slice(i + 1)).get('q') || ''));
    }
  }

  let timer = null;
  $('q').addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const q = $('q').value.trim();
      history.replaceState(null, '', q ? '#/?q=' + encodeURIComponent(q) : '#/');
      showSearch(q);
    }, 150);
  });
  $('search').addEventListener('submit', (e) => { e.preventDefault(); showSearch($('q').value.trim()); });
  window.addEventListener('hashchange', route);
  $('proxy-url').textContent = location.origin;
  loadStats();
  route();
})();
