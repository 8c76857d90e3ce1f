// A small Markdown renderer for card details (a GFM subset): paragraphs, headings, bullet and
// numbered lists, fenced code blocks, **bold**, *italic*, `code`, [links](https://…), backslash
// escapes and character references. The input is untrusted: every piece of text is HTML-escaped
// before any markup is added, character references are decoded and then escaped again, and
// only http(s) and mailto links become <a> elements. Returns an HTML string.

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const NAMED = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function decodeEntities(text) {
  return text.replace(/&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-z]+);/g, (match, name) => {
    if (name[0] !== '#') return Object.hasOwn(NAMED, name) ? NAMED[name] : match;
    const hex = name[1] === 'x' || name[1] === 'X';
    const n = parseInt(name.slice(hex ? 2 : 1), hex ? 16 : 10);
    const ok = n > 0 && n <= 0x10ffff && !(n >= 0xd800 && n <= 0xdfff);
    return ok ? String.fromCodePoint(n) : '\ufffd';
  });
}

const SAFE_URL = /^(https?:\/\/|mailto:)/i;

// Backslash escapes, hard breaks and code spans, left to right (a backslash before a backtick
// keeps it literal; inside a code span everything is literal). Returns text with placeholders.
function protect(raw, hold) {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw[i];
    if (c === '\\' && i + 1 < raw.length && /[!-/:-@[-`{-~]/.test(raw[i + 1])) {
      out += hold(escapeHtml(raw[i + 1]));
      i += 2;
    } else if (c === '\\' && raw[i + 1] === '\n') {
      out += hold('<br>');
      i += 2;
    } else if (c === '`') {
      let j = i;
      while (raw[j] === '`') j += 1;
      const width = j - i;
      let found = -1;
      for (let k = j; k < raw.length;) {
        const next = raw.indexOf('`', k);
        if (next < 0) break;
        let end = next;
        while (raw[end] === '`') end += 1;
        if (end - next === width) {
          found = next;
          break;
        }
        k = end;
      }
      if (found < 0) {
        out += raw.slice(i, j);
        i = j;
      } else {
        let code = raw.slice(j, found).replace(/\n/g, ' ');
        if (/^ .* $/.test(code) && code.trim()) code = code.slice(1, -1);
        out += hold(`<code>${escapeHtml(code)}</code>`);
        i = found + width;
      }
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

// Inline markup of one block's text.
function inline(raw) {
  const slots = [];
  const hold = (html) => `\ue000${slots.push(html) - 1}\ue001`;
  let s = protect(raw.replace(/[\ue000\ue001]/g, '\ufffd'), hold);
  s = s.replace(/ {2,}\n/g, () => hold('<br>'));
  s = escapeHtml(decodeEntities(s));
  s = s.replace(/\[([^\]\n]+)\]\(([^()\s]+)\)/g, (m, label, href) => {
    if (!SAFE_URL.test(href)) return label;
    return `${hold(`<a href="${href}" rel="noopener noreferrer" target="_blank">`)}${label}${hold('</a>')}`;
  });
  s = s.replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '<strong>$1</strong>');
  s = s.replace(/(^|[^\w])__(?=\S)([\s\S]*?\S)__(?!\w)/g, '$1<strong>$2</strong>');
  s = s.replace(/\*(?=\S)([\s\S]*?\S)\*/g, '<em>$1</em>');
  s = s.replace(/(^|[^\w])_(?=\S)([\s\S]*?\S)_(?!\w)/g, '$1<em>$2</em>');
  return s.replace(/\ue000(\d+)\ue001/g, (m, i) => slots[Number(i)]);
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const BULLET = /^ {0,3}[-*+]\s+(.*)$/;
const NUMBERED = /^ {0,3}(\d{1,9})[.)]\s+(.*)$/;

export function renderMarkdown(markdown) {
  const lines = String(markdown ?? '').replace(/\r\n?/g, '\n').split('\n');
  const out = [];
  let paragraph = [];
  let list = null; // { type: 'ul' | 'ol', start, items: [] }

  const flushParagraph = () => {
    if (paragraph.length) out.push(`<p>${inline(paragraph.join('\n'))}</p>`);
    paragraph = [];
  };
  const flushList = () => {
    if (!list) return;
    const start = list.type === 'ol' && list.start !== 1 ? ` start="${list.start}"` : '';
    const items = list.items.map((item) => `<li>${inline(item)}</li>`).join('');
    out.push(`<${list.type}${start}>${items}</${list.type}>`);
    list = null;
  };
  const addItem = (type, text, start = 1) => {
    flushParagraph();
    if (list && list.type !== type) flushList();
    if (!list) list = { type, start, items: [] };
    list.items.push(text);
  };

  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    const fence = line.match(FENCE);
    if (fence) {
      flushParagraph();
      flushList();
      const marker = fence[1];
      const body = [];
      for (i += 1; i < lines.length; i += 1) {
        const close = lines[i].match(/^ {0,3}(`{3,}|~{3,})\s*$/);
        if (close && close[1][0] === marker[0] && close[1].length >= marker.length) break;
        body.push(lines[i]);
      }
      const lang = fence[2] ? ` class="language-${escapeHtml(fence[2])}"` : '';
      out.push(`<pre><code${lang}>${escapeHtml(body.join('\n'))}</code></pre>`);
      continue;
    }
    if (!line.trim()) {
      flushParagraph();
      flushList();
      continue;
    }
    const heading = line.match(HEADING);
    if (heading) {
      flushParagraph();
      flushList();
      const level = Math.min(6, heading[1].length + 2);
      out.push(`<h${level}>${inline(heading[2] || '')}</h${level}>`);
      continue;
    }
    if (RULE.test(line)) {
      flushParagraph();
      flushList();
      out.push('<hr>');
      continue;
    }
    const bullet = line.match(BULLET);
    if (bullet) {
      addItem('ul', bullet[1]);
      continue;
    }
    const numbered = line.match(NUMBERED);
    if (numbered) {
      addItem('ol', numbered[2], Number(numbered[1]));
      continue;
    }
    if (list && /^\s+\S/.test(line)) {
      list.items[list.items.length - 1] += `\n${line.trim()}`;
      continue;
    }
    flushList();
    paragraph.push(line);
  }
  flushParagraph();
  flushList();
  return out.join('\n');
}
