// A CDS Hooks card drawn the way an EHR shows it: indicator, summary, source, detail (Markdown),
// suggestions, links and the override reasons a clinician picks when dismissing it. Buttons are
// demonstrations: they describe what the EHR would do and change nothing.
import { clear, el } from './app.js';
import { renderMarkdown } from './markdown.js';

const INDICATOR_TEXT = { info: 'Info', warning: 'Warning', critical: 'Critical' };
const PAMA_RATING = 'http://fhir.org/argonaut/Extension/pama-rating';

function describeAction(action) {
  const what = action.description || `${action.type} ${action.resourceId || ''}`;
  return `${action.type}: ${what}`;
}

export function renderCard(card, { headingLevel = 3 } = {}) {
  const indicator = INDICATOR_TEXT[card.indicator] ? card.indicator : 'info';
  const id = `card-${card.uuid || Math.random().toString(36).slice(2)}`;
  const article = el('article', { class: `cds-card card-${indicator}`, 'aria-labelledby': `${id}-summary` });
  const outcome = el('p', { class: 'card-outcome', role: 'status' });

  article.append(el('div', { class: 'card-head' },
    el('span', { class: `indicator indicator-${indicator}` }, INDICATOR_TEXT[indicator]),
    el(`h${headingLevel}`, { class: 'card-summary', id: `${id}-summary` }, card.summary || '')));
  if (card.source && card.source.label) {
    const label = card.source.url && /^https?:\/\//i.test(card.source.url)
      ? el('a', { href: card.source.url, rel: 'noopener noreferrer', target: '_blank' }, card.source.label)
      : card.source.label;
    article.append(el('p', { class: 'card-source' }, 'Source: ', label));
  }
  if (card.detail) {
    const detail = el('div', { class: 'card-detail markdown' });
    detail.innerHTML = renderMarkdown(card.detail); // escaped by the renderer
    article.append(detail);
  }

  const suggestions = card.suggestions || [];
  if (suggestions.length) {
    const group = el('div', { class: 'card-suggestions', role: 'group', 'aria-label': 'Suggestions' });
    if (card.selectionBehavior) {
      group.append(el('p', { class: 'hint' }, `Selection: ${card.selectionBehavior}`));
    }
    for (const s of suggestions) {
      group.append(el('button', {
        type: 'button',
        class: `suggestion${s.isRecommended ? ' recommended' : ''}`,
        'data-uuid': s.uuid || '',
        onclick: () => {
          outcome.textContent = `Accepting "${s.label}" would: ${(s.actions || []).map(describeAction).join('; ')}.`;
        },
      }, el('span', { class: 'suggestion-label' }, s.label || ''),
      s.isRecommended ? el('span', { class: 'badge recommended-badge' }, 'Recommended') : null));
    }
    article.append(group);
  }

  const links = (card.links || []).filter((l) => /^https?:\/\//i.test(l.url || ''));
  if (links.length) {
    article.append(el('ul', { class: 'card-links' }, links.map((l) =>
      el('li', {}, el('a', { href: l.url, rel: 'noopener noreferrer', target: '_blank' }, l.label || l.url)))));
  }

  const reasons = card.overrideReasons || [];
  const selectId = `${id}-override`;
  const dismiss = el('form', { class: 'card-dismiss' },
    reasons.length ? el('label', { for: selectId }, 'Override reason') : null,
    reasons.length ? el('select', { id: selectId },
      reasons.map((r) => el('option', { value: r.code || '' }, r.display || r.code || ''))) : null,
    el('button', { type: 'submit' }, 'Dismiss'));
  dismiss.addEventListener('submit', (event) => {
    event.preventDefault();
    const select = dismiss.querySelector('select');
    const reason = select ? select.selectedOptions[0].textContent : 'no reason';
    outcome.textContent = `Dismissing would send "overridden" feedback with reason: ${reason}.`;
  });
  article.append(dismiss, outcome);
  return article;
}

// The Argonaut PAMA rating (and 9-level score) the response records on an order, if any.
export function pamaRating(response, orderId) {
  for (const action of (response && response.systemActions) || []) {
    const resource = action.resource || {};
    if (orderId && resource.id !== orderId) continue;
    const extension = (resource.extension || []).find((e) => e.url === PAMA_RATING);
    if (!extension) continue;
    const codings = (extension.valueCodeableConcept && extension.valueCodeableConcept.coding) || [];
    return {
      rating: codings[0] ? codings[0].code : '',
      score: codings[1] ? codings[1].code : '',
    };
  }
  return null;
}

export function renderCards(container, response) {
  clear(container);
  const cards = (response && response.cards) || [];
  if (!cards.length) {
    container.append(el('p', { class: 'no-card' }, 'No card: the EHR would show nothing for this order.'));
  }
  for (const card of cards) container.append(renderCard(card));
}
