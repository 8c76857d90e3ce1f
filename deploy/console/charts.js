// Small SVG charts built with DOM APIs (no inline styles, so the page's CSP stays 'self').
// Every chart has role="img" and a text alternative; the numbers are also in a table nearby.

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

// Rating band of a 1..9 bucket, for colour (the chart's label carries the numbers).
function band(rating) {
  if (rating <= 3) return 'band-una';
  if (rating <= 6) return 'band-may';
  return 'band-ua';
}

// The panel vote tabulation: 9 bars for ratings 1..9, the median bucket outlined.
export function voteChart(tabulation, { median } = {}) {
  const width = 126;
  const height = 44;
  const barWidth = 12;
  const max = Math.max(1, ...tabulation);
  const chart = svg('svg', {
    class: 'votes', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-label': `Panel votes for ratings 1 to 9: ${tabulation.join(', ')}`
      + (median ? `; median ${median}` : ''),
  });
  chart.append(svg('title', {}, `Panel votes (ratings 1–9): ${tabulation.join(' ')}`));
  tabulation.forEach((count, i) => {
    const x = 3 + i * 14;
    const h = count === 0 ? 0 : Math.max(2, Math.round((count / max) * 28));
    const bar = svg('rect', {
      x, y: 32 - h, width: barWidth, height: h,
      class: `bar ${band(i + 1)}${median === i + 1 ? ' median' : ''}`,
    });
    bar.append(svg('title', {}, `rating ${i + 1}: ${count} vote${count === 1 ? '' : 's'}`));
    chart.append(bar);
    chart.append(svg('text', { x: x + barWidth / 2, y: 42, class: 'axis', 'text-anchor': 'middle' },
      String(i + 1)));
  });
  chart.append(svg('line', { x1: 0, y1: 32.5, x2: width, y2: 32.5, class: 'baseline' }));
  return chart;
}

// Vertical bars over labelled buckets (consults per day).
export function columnChart(points, { label, valueName = 'consults' } = {}) {
  const barWidth = 22;
  const gap = 8;
  const height = 150;
  const width = Math.max(200, points.length * (barWidth + gap) + 40);
  const max = Math.max(1, ...points.map((p) => p.value));
  const chart = svg('svg', {
    class: 'columns', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-label': `${label}: ${points.map((p) => `${p.label} ${p.value}`).join(', ')}`,
  });
  points.forEach((p, i) => {
    const x = 30 + i * (barWidth + gap);
    const h = p.value === 0 ? 0 : Math.max(2, Math.round((p.value / max) * 100));
    const bar = svg('rect', { x, y: 120 - h, width: barWidth, height: h, class: 'bar column' });
    bar.append(svg('title', {}, `${p.label}: ${p.value} ${valueName}`));
    chart.append(bar);
    chart.append(svg('text', { x: x + barWidth / 2, y: 115 - h, class: 'value', 'text-anchor': 'middle' },
      String(p.value)));
    chart.append(svg('text', {
      x: x + barWidth / 2, y: 134, class: 'axis', 'text-anchor': 'end',
      transform: `rotate(-35 ${x + barWidth / 2} 134)`,
    }, p.label.slice(5)));
  });
  chart.append(svg('line', { x1: 24, y1: 120.5, x2: width, y2: 120.5, class: 'baseline' }));
  return chart;
}

// A horizontal share bar (0..1) to sit in a table cell next to the number it shows.
export function shareBar(share, className = '') {
  const chart = svg('svg', { class: 'share', width: 120, height: 12, viewBox: '0 0 120 12', 'aria-hidden': 'true' });
  chart.append(svg('rect', { x: 0, y: 1, width: 120, height: 10, class: 'track' }));
  chart.append(svg('rect', { x: 0, y: 1, width: Math.round(120 * (share || 0)), height: 10, class: `fill ${className}` }));
  return chart;
}
