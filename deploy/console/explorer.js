// Criteria explorer and "try it": GET api/criteria, POST api/try.
import {
  api, append, categoryBadge, clear, el, setStatus, setupLogin,
} from './app.js';
import { pamaRating, renderCards } from './card.js';
import { voteChart } from './charts.js';

const FACTS = ['vcf', 'newVcf', 'pathological', 'osteoporotic', 'multipleVcfs', 'newPain',
  'worseningPain', 'malignancy', 'priorAugmentation', 'priorSpineSurgery', 'edemaOrCleft',
  'deformityOrPulmonary', 'pediatric'];
const OTHER = 'other';

const $ = (id) => document.getElementById(id);
let model = null;
let newPainTouched = false;

function rrlCell(rrl, population) {
  const key = rrl.value.startsWith('O ') ? 'O' : rrl.value.includes('☢') ? 'rad' : rrl.value;
  return el('td', { class: 'rrl', title: rrl.meaning },
    el('span', { 'aria-describedby': `rrl-${key.replace(/[^A-Za-z]/g, '') || 'x'}` }, rrl.value),
    el('span', { class: 'visually-hidden' }, ` (${population})`));
}

function references(row) {
  if (!row.references.length) return el('td', { class: 'refs' }, el('span', { class: 'hint' }, 'none'));
  const items = row.references.map((ref) => el('li', {},
    `${ref.n}: `,
    ref.url ? el('a', { href: ref.url, rel: 'noopener noreferrer', target: '_blank' }, `PMID ${ref.pmid}`)
      : el('span', {}, `PMID ${ref.pmid} (as published)`),
    `, quality ${ref.quality}`));
  return el('td', { class: 'refs' }, el('details', {},
    el('summary', {}, `${row.references.length} reference${row.references.length === 1 ? '' : 's'}`),
    el('ul', {}, items)));
}

function variantSection(variant) {
  const headingId = `variant-${variant.number}-heading`;
  const rows = variant.rows.map((row) => el('tr', { class: 'row', 'data-row-name': row.name },
    el('th', { scope: 'row' }, el('a', { href: row.evidenceUrl, target: '_blank', rel: 'noopener' }, row.name)),
    el('td', {}, categoryBadge(row.category, row.disagreement)),
    el('td', { class: 'num' }, String(row.rating)),
    el('td', { class: 'num' }, String(row.median)),
    el('td', {}, row.soe),
    rrlCell(row.rrlAdult, 'adult'),
    rrlCell(row.rrlPediatric, 'pediatric'),
    el('td', { class: 'chart' }, voteChart(row.tabulation, { median: row.median })),
    references(row)));
  return el('section', { class: 'variant', 'data-variant': variant.number, 'aria-labelledby': headingId },
    el('h3', { id: headingId }, `Variant ${variant.number} `, el('span', { class: `phase phase-${variant.phase}` }, variant.phase)),
    el('p', { class: 'variant-text' }, variant.text),
    el('div', { class: 'table-wrap' }, el('table', { class: 'rows' },
      el('caption', { class: 'visually-hidden' }, `Procedures for variant ${variant.number}`),
      el('thead', {}, el('tr', {},
        ['Procedure', 'Category', 'Rating', 'Median', 'Strength of evidence', 'Adult RRL',
          'Pediatric RRL', 'Panel votes (1–9)', 'References'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows))));
}

function legend(criteria) {
  const meanings = Object.entries(criteria.rrlMeaning).map(([key, text]) => el('li', {
    id: `rrl-${key === '☢' ? 'rad' : key.replace(/[^A-Za-z]/g, '') || 'x'}`,
  }, el('strong', {}, key), ` — ${text}`));
  return [
    el('h3', {}, 'Categories'),
    el('ul', { class: 'legend-categories' }, criteria.categories.map((c) => el('li', {}, categoryBadge(c)))),
    el('h3', {}, 'Relative radiation level (RRL)'),
    el('ul', { class: 'legend-rrl' }, meanings),
  ];
}

function fillOrders(criteria) {
  const select = $('f-order');
  clear(select);
  const byRow = new Map();
  criteria.orderCodes.forEach((code, index) => {
    if (!byRow.has(code.row)) byRow.set(code.row, []);
    byRow.get(code.row).push(el('option', { value: String(index), 'data-code': code.code },
      `${code.systemLabel} ${code.code} — ${code.display || code.row}`));
  });
  for (const [row, options] of byRow) select.append(el('optgroup', { label: row }, options));
  select.append(el('option', { value: OTHER }, 'Other code…'));
  const systems = $('f-system');
  clear(systems);
  criteria.systems.forEach((s) => systems.append(el('option', { value: s.system }, `${s.label} (${s.system})`)));
}

function applyFilter() {
  const query = $('row-filter').value.trim().toLowerCase();
  let shown = 0;
  for (const row of document.querySelectorAll('#variants tr.row')) {
    const match = !query || row.dataset.rowName.toLowerCase().includes(query);
    row.hidden = !match;
    shown += match;
  }
  $('row-filter-count').textContent = query ? `${shown} matching rows` : '';
}

async function load() {
  const status = $('criteria-status');
  setStatus(status, 'Loading the criteria…');
  try {
    model = await api('criteria');
  } catch (e) {
    setStatus(status, `Could not load the criteria: ${e.message}`, { error: true });
    return;
  }
  const rows = model.variants.reduce((n, v) => n + v.rows.length, 0);
  setStatus(status, `${model.variants.length} variants, ${rows} procedure rows.`);
  $('criteria-meta').textContent = `${model.title} (${model.publisher}). Knowledge ${model.knowledgeVersion}; terminology ${model.terminologyVersion}.`;
  append(clear($('legend')), legend(model));
  append(clear($('variants')), model.variants.map(variantSection));
  fillOrders(model);
  applyFilter();
}

function readForm() {
  const form = $('try-form');
  const facts = {};
  for (const name of FACTS) facts[name] = form.elements[name].checked;
  facts.symptoms = form.elements.symptoms.value || 'unknown';
  const choice = $('f-order').value;
  const order = choice === OTHER
    ? { system: $('f-system').value, code: $('f-code').value.trim() }
    : { system: model.orderCodes[Number(choice)].system, code: model.orderCodes[Number(choice)].code };
  return { facts, order };
}

function matchText(m) {
  return `Variant ${m.variant}: ${m.category} (${m.rating}/9)`;
}

function decisionPanel(result) {
  const d = result.decision;
  const pama = pamaRating(result.response, 'console-order');
  const items = [];
  if (d.headline) {
    items.push(el('dt', {}, 'Variant'), el('dd', { class: 'decision-variant', 'data-variant': d.headline.variant },
      `${d.headline.variant} — ${d.headline.text}`));
    items.push(el('dt', {}, 'Rating'), el('dd', {}, categoryBadge(d.headline.category), ` ${d.headline.rating}/9 for ${d.headline.procedure}`));
    items.push(el('dt', {}, 'Firm'), el('dd', {}, d.firm ? 'Yes: every way of filling in the undocumented facts rates the order the same' : 'No'));
  } else {
    items.push(el('dt', {}, 'Outcome'), el('dd', {}, d.outcome === 'no-criteria-apply'
      ? 'No variant matches: advanced imaging gets the PAMA rating "no-criteria-apply" and no card.'
      : 'Neither spine imaging nor a VCF treatment: the service says nothing.'));
  }
  items.push(el('dt', {}, 'PAMA rating'), el('dd', { class: 'pama-rating' },
    pama ? `${pama.rating}${pama.score ? ` (score ${pama.score})` : ''}` : 'none'));
  if (d.candidates && d.candidates.length) {
    items.push(el('dt', {}, 'Candidates'), el('dd', {}, el('ul', {}, d.candidates.map((m) => el('li', {}, matchText(m))))));
  }
  if (d.assumptions && d.assumptions.length) {
    items.push(el('dt', {}, 'Assumed'), el('dd', {}, el('ul', {}, d.assumptions.map((a) => el('li', {}, a.text)))));
  }
  if (d.ifPresent && d.ifPresent.length) {
    items.push(el('dt', {}, 'If documented'), el('dd', {}, el('ul', {}, d.ifPresent.map((p) => el('li', {}, `${p.text}: ${matchText(p.match)}`)))));
  }
  if (d.explanation) items.push(el('dt', {}, 'Facts found'), el('dd', {}, d.explanation));
  return el('section', { class: 'decision', 'aria-labelledby': 'decision-heading' },
    el('h3', { id: 'decision-heading' }, 'Decision'), el('dl', {}, items));
}

function focusField(field) {
  const id = field.startsWith('facts.') ? `f-${field.slice(6)}`
    : field === 'order.code' || field === 'order.system' ? (($('f-order').value === OTHER) ? `f-${field.slice(6)}` : 'f-order')
      : field.startsWith('order') ? 'f-order' : '';
  const control = id && $(id);
  if (control) control.focus();
}

async function runTry(event) {
  event.preventDefault();
  const status = $('try-status');
  const result = $('try-result');
  if (!model) return;
  setStatus(status, 'Running…');
  let answer;
  try {
    answer = await api('try', { method: 'POST', body: readForm() });
  } catch (e) {
    setStatus(status, `${e.message}${e.field ? ` (field ${e.field})` : ''}`, { error: true });
    if (e.field) focusField(e.field);
    return;
  }
  setStatus(status, 'Done.');
  const cards = el('div', { class: 'cards', 'aria-label': 'Card as the EHR shows it', role: 'region' });
  renderCards(cards, answer.response);
  append(clear(result), [
    decisionPanel(answer),
    el('h3', {}, 'Card as the EHR shows it'),
    cards,
    el('details', {}, el('summary', {}, 'CDS Hooks response (JSON)'),
      el('pre', { class: 'json' }, JSON.stringify(answer.response, null, 2))),
    el('details', {}, el('summary', {}, 'FHIR data sent to the decision'),
      el('pre', { class: 'json' }, JSON.stringify(answer.fhir, null, 2))),
  ]);
}

function wire() {
  $('try-form').addEventListener('submit', runTry);
  $('f-order').addEventListener('change', () => {
    $('other-code').hidden = $('f-order').value !== OTHER;
  });
  $('f-newPain').addEventListener('change', () => { newPainTouched = true; });
  $('f-newVcf').addEventListener('change', () => {
    if (!newPainTouched) $('f-newPain').checked = $('f-newVcf').checked;
  });
  $('row-filter').addEventListener('input', applyFilter);
}

wire();
setupLogin(load);
load();
