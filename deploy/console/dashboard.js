// Audit dashboard: GET api/audit/summary, api/audit/consults, api/audit/consults/{id}.
import {
  api, append, categoryBadge, clear, el, percent, setStatus, setupLogin,
} from './app.js';
import { renderCard } from './card.js';
import { columnChart, shareBar } from './charts.js';

const $ = (id) => document.getElementById(id);
const PAGE = 25;
let range = { from: '', to: '' };
let page = 0;
let opener = null;

const TOTALS = [
  ['consults', 'Consults'],
  ['rated', 'Rated (a variant applied)'],
  ['noCriteriaApply', 'No criteria apply'],
  ['usuallyNotAppropriate', 'Usually not appropriate'],
  ['accepted', 'Suggestion accepted'],
  ['overridden', 'Overridden'],
  ['noFeedback', 'No feedback'],
  ['unknownCardFeedback', 'Feedback for unknown cards'],
];

function nextDay(date) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function rangeQuery(extra = {}) {
  const params = new URLSearchParams();
  if (range.from) params.set('from', range.from);
  if (range.to) params.set('to', nextDay(range.to));
  for (const [k, v] of Object.entries(extra)) if (v !== '' && v !== undefined) params.set(k, v);
  const text = params.toString();
  return text ? `?${text}` : '';
}

function table(caption, headers, rows, { className = '' } = {}) {
  return el('div', { class: 'table-wrap' }, el('table', { class: className },
    el('caption', {}, caption),
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.length ? rows : [el('tr', {}, el('td', { colspan: headers.length, class: 'hint' }, 'Nothing in this range.'))])));
}

function num(value, field) {
  return el('td', { class: 'num', 'data-field': field }, String(value));
}

function chainBanner(chain) {
  if (chain.ok) {
    return el('p', { class: 'chain-ok' }, el('strong', {}, 'Hash chain verified'), `: ${chain.records} records check out.`);
  }
  return el('p', { class: 'chain-broken', role: 'alert' }, el('strong', {}, 'Hash chain BROKEN'),
    ` at seq ${chain.brokenSeq} (${chain.brokenKind} ${chain.brokenId}): ${chain.reason}. ${chain.records} records before it check out.`);
}

function renderSummary(s) {
  append(clear($('chain')), chainBanner(s.chain));
  append(clear($('totals')), TOTALS.map(([key, label]) => el('div', { class: 'metric', 'data-metric': key },
    el('dt', {}, label), el('dd', {}, String(s.totals[key])))));

  const days = s.perDay.map((d) => ({ label: d.day, value: d.consults }));
  append(clear($('per-day')), [
    days.length ? columnChart(days, { label: 'Consults per day' }) : el('p', { class: 'hint' }, 'No consults in this range.'),
    el('details', {}, el('summary', {}, 'As a table'), table('Consults per day',
      ['Day', 'Consults', 'Usually not appropriate'],
      s.perDay.map((d) => el('tr', { 'data-day': d.day }, el('th', { scope: 'row' }, d.day),
        num(d.consults, 'consults'), num(d.usuallyNotAppropriate, 'usuallyNotAppropriate'))))),
  ]);

  append(clear($('by-category')), table('Consults by category', ['Category', 'Consults', 'Share', ''],
    s.byCategory.map((c) => el('tr', { 'data-category': c.category },
      el('th', { scope: 'row' }, categoryBadge(c.category === 'No criteria apply' ? '' : c.category)),
      num(c.consults, 'consults'), el('td', { class: 'num', 'data-field': 'share' }, percent(c.share)),
      el('td', {}, shareBar(c.share, 'fill-category'))))));

  append(clear($('by-variant')), table('Consults by variant', ['Variant', 'Consults', 'Share', ''],
    s.byVariant.map((v) => el('tr', { 'data-variant': v.variant },
      el('th', { scope: 'row' }, v.variant === 0 ? 'None' : `Variant ${v.variant}`),
      num(v.consults, 'consults'), el('td', { class: 'num', 'data-field': 'share' }, percent(v.share)),
      el('td', {}, shareBar(v.share))))));

  append(clear($('reasons')), table('Override reasons (latest feedback), most frequent first', ['Reason', 'Overrides'],
    s.overrideReasons.slice(0, 10).map((r) => el('tr', {}, el('th', { scope: 'row' }, r.reason), num(r.count, 'count')))));

  const una = s.usuallyNotAppropriate;
  append(clear($('una-summary')), [
    el('dl', { class: 'totals small' }, [['orders', 'Orders'], ['accepted', 'Suggestion accepted'],
      ['overridden', 'Overridden'], ['noFeedback', 'No feedback']].map(([key, label]) =>
      el('div', { class: 'metric', 'data-una': key }, el('dt', {}, label), el('dd', {}, String(una[key]))))),
    table('Why they were overridden', ['Reason', 'Overrides'],
      una.overrideReasons.map((r) => el('tr', {}, el('th', { scope: 'row' }, r.reason), num(r.count, 'count')))),
  ]);

  append(clear($('rows')), table('Orders per variant and procedure row',
    ['Variant', 'Procedure', 'Rated', 'Usually not appropriate', 'Share', 'Accepted', 'Overridden', 'Override reasons'],
    s.rows.map((r) => el('tr', { class: 'summary-row', 'data-variant': r.variant, 'data-procedure': r.procedure },
      el('td', {}, r.variant === 0 ? '–' : String(r.variant)),
      el('th', { scope: 'row' }, r.procedure || '(no criteria apply)'),
      num(r.rated, 'rated'), num(r.usuallyNotAppropriate, 'usuallyNotAppropriate'),
      el('td', { class: 'num' }, percent(r.usuallyNotAppropriateShare)),
      num(r.accepted, 'accepted'), num(r.overridden, 'overridden'),
      el('td', {}, Object.entries(r.overrideReasons).map(([k, v]) => `${k} ×${v}`).join('; '))))));

  const tally = (name, key) => (t) => el('tr', {}, el('th', { scope: 'row' }, t[key] || '(none)'),
    num(t.consults, 'consults'), num(t.usuallyNotAppropriate, 'usuallyNotAppropriate'),
    num(t.accepted, 'accepted'), num(t.overridden, 'overridden'));
  const headers = (first) => [first, 'Consults', 'Usually not appropriate', 'Accepted', 'Overridden'];
  append(clear($('by-user')), table('Consults per ordering user', headers('User'), s.byUser.map(tally('user', 'user'))));
  append(clear($('by-procedure')), table('Consults per procedure', headers('Procedure'), s.byProcedure.map(tally('procedure', 'procedure'))));
}

function outcomeText(c) {
  if (c.outcome === 'accepted') return c.acceptedSuggestion ? `Accepted: ${c.acceptedSuggestion}` : 'Accepted';
  if (c.outcome === 'overridden') return `Overridden: ${c.overrideReason}`;
  return c.cardUuid ? 'No feedback' : 'No card';
}

function consultRows(list) {
  return list.map((c) => el('tr', { 'data-consult': c.consultId },
    el('td', {}, c.time), el('td', {}, c.user), el('td', {}, c.procedure || '(no criteria apply)'),
    el('td', { class: 'num' }, c.variant ? String(c.variant) : '–'),
    el('td', {}, categoryBadge(c.category === 'No criteria apply' ? '' : c.category)),
    el('td', {}, outcomeText(c)),
    el('td', {}, el('button', { type: 'button', class: 'open', onclick: (e) => openConsult(c.consultId, e.currentTarget) },
      'Open', el('span', { class: 'visually-hidden' }, ` consult ${c.consultId}`)))));
}

const CONSULT_HEADERS = ['Time (UTC)', 'User', 'Procedure', 'Variant', 'Category', 'What happened', ''];

async function loadUna() {
  const list = await api(`audit/consults${rangeQuery({ category: 'Usually not appropriate', limit: 200 })}`);
  append(clear($('una-list')), table(`Usually not appropriate orders (${list.total}, newest first)`, CONSULT_HEADERS, consultRows(list.consults)));
}

async function loadConsults() {
  const form = $('consult-filter');
  const filter = {
    variant: form.elements.variant.value, category: form.elements.category.value,
    outcome: form.elements.outcome.value, user: form.elements.user.value.trim(),
    limit: PAGE, offset: page * PAGE,
  };
  const list = await api(`audit/consults${rangeQuery(filter)}`);
  append(clear($('consults')), table('Consults, newest first', CONSULT_HEADERS, consultRows(list.consults)));
  const last = Math.min(list.total, (page + 1) * PAGE);
  $('page-info').textContent = list.total ? `${page * PAGE + 1}–${last} of ${list.total}` : '0 consults';
  $('page-prev').disabled = page === 0;
  $('page-next').disabled = last >= list.total;
}

function jsonView(value) {
  if (Array.isArray(value) && value.length && value.every((v) => v && typeof v === 'object' && !Array.isArray(v))) {
    const keys = [...new Set(value.flatMap(Object.keys))];
    return el('div', { class: 'table-wrap' }, el('table', {},
      el('thead', {}, el('tr', {}, keys.map((k) => el('th', { scope: 'col' }, k)))),
      el('tbody', {}, value.map((row) => el('tr', {}, keys.map((k) => el('td', {},
        row[k] === undefined ? '' : typeof row[k] === 'object' ? JSON.stringify(row[k]) : String(row[k]))))))));
  }
  if (value === '' || value === null || value === undefined || (Array.isArray(value) && !value.length)) {
    return el('p', { class: 'hint' }, 'none');
  }
  return el('pre', { class: 'json' }, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
}

function renderConsult(data) {
  const c = data.consult;
  const fields = [['Consult', c.consultId], ['Time', c.time], ['Service', `${c.serviceId} (${c.hook})`],
    ['User', c.user], ['Patient', c.patient], ['Encounter', c.encounter], ['Order', c.order],
    ['Procedure row', c.procedure || '(no criteria apply)'], ['Variant', c.variant || '–'],
    ['Category', c.category || 'No criteria apply'], ['Rating / median', `${c.rating} / ${c.median}`],
    ['PAMA rating', c.pamaRating], ['Client', [c.clientIss, c.clientSub].filter(Boolean).join(' ') || '–'],
    ['Identifiers', c.identifierMode], ['Knowledge', c.knowledgeVersion], ['Service version', c.serviceVersion],
    ['Latency', `${c.latencyMs} ms`], ['Chain position', `seq ${c.seq}`]];
  const chain = data.chain;
  const verified = data.recordVerified
    ? el('p', { class: 'chain-ok' }, el('strong', {}, 'Verified'), `: the hash chain checks out through this record (${chain.records} records${chain.ok ? '' : ' before the break'}).`)
    : el('p', { class: 'chain-broken' }, el('strong', {}, 'Not verified'), `: the chain breaks at seq ${chain.brokenSeq} (${chain.reason}), at or before this record.`);
  const card = c.card && typeof c.card === 'object' && c.card.summary ? renderCard(c.card, { headingLevel: 4 }) : jsonView(c.card);
  const feedback = data.feedback.length ? data.feedback.map((f) => el('li', {},
    el('strong', {}, f.outcome), ` at ${f.outcomeTimestamp} (received ${f.receivedTime})`,
    f.outcome === 'overridden' ? ` — reason: ${[f.overrideReasonCode, f.overrideReasonDisplay].filter(Boolean).join(' ') || '(none)'}` : '',
    f.userComment ? ` — comment: "${f.userComment}"` : '',
    f.acceptedSuggestions.length ? ` — suggestions: ${f.acceptedSuggestions.join(', ')}` : ''))
    : [el('li', { class: 'hint' }, c.cardUuid ? 'No feedback for this card.' : 'No card was sent.')];
  return [
    verified,
    el('dl', { class: 'fields' }, fields.map(([k, v]) => [el('dt', {}, k), el('dd', {}, String(v))])),
    el('h3', {}, 'Facts and their sources'), jsonView(c.facts),
    el('h3', {}, 'Candidates and assumptions'),
    el('dl', { class: 'fields' },
      el('dt', {}, 'Candidate variants'), el('dd', {}, Array.isArray(c.candidates) && c.candidates.every((v) => typeof v !== 'object')
        ? (c.candidates.join(', ') || 'none') : jsonView(c.candidates)),
      el('dt', {}, 'Assumptions'), el('dd', {}, Array.isArray(c.assumptions) && c.assumptions.every((v) => typeof v !== 'object')
        ? (c.assumptions.join('; ') || 'none') : jsonView(c.assumptions))),
    el('h3', {}, 'Card as sent'), card,
    el('h3', {}, 'Feedback'), el('ul', {}, feedback),
    data.acceptedSuggestion ? el('p', {}, `Accepted suggestion: ${data.acceptedSuggestion}`) : null,
    el('details', {}, el('summary', {}, 'Order codes (JSON)'), jsonView(c.orderCodes)),
  ];
}

async function openConsult(id, button) {
  opener = button;
  const dialog = $('consult-dialog');
  const body = $('consult-body');
  append(clear(body), el('p', { role: 'status' }, 'Loading…'));
  $('consult-dialog-title').textContent = `Consult ${id}`;
  if (!dialog.open) dialog.showModal();
  $('consult-close').focus();
  try {
    append(clear(body), renderConsult(await api(`audit/consults/${encodeURIComponent(id)}`)));
  } catch (e) {
    append(clear(body), el('p', { role: 'alert', class: 'error' }, e.message));
  }
}

async function load() {
  const status = $('dashboard-status');
  setStatus(status, 'Loading…');
  try {
    renderSummary(await api(`audit/summary${rangeQuery()}`));
    await Promise.all([loadUna(), loadConsults()]);
    setStatus(status, range.from || range.to
      ? `Showing ${range.from || 'the start'} to ${range.to || 'now'} (UTC).` : 'Showing the whole trail.');
  } catch (e) {
    setStatus(status, `Could not load the audit data: ${e.message}`, { error: true });
  }
}

function wire() {
  $('range').addEventListener('submit', (event) => {
    event.preventDefault();
    range = { from: $('from').value, to: $('to').value };
    page = 0;
    load();
  });
  $('range-clear').addEventListener('click', () => {
    $('from').value = '';
    $('to').value = '';
    range = { from: '', to: '' };
    page = 0;
    load();
  });
  $('consult-filter').addEventListener('submit', (event) => {
    event.preventDefault();
    page = 0;
    loadConsults().catch((e) => setStatus($('dashboard-status'), e.message, { error: true }));
  });
  $('page-prev').addEventListener('click', () => { page = Math.max(0, page - 1); loadConsults(); });
  $('page-next').addEventListener('click', () => { page += 1; loadConsults(); });
  const dialog = $('consult-dialog');
  $('consult-close').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => { if (opener) opener.focus(); });
}

wire();
setupLogin(load);
load();
