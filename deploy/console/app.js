// Shared by every console page: the access token, API calls, small DOM helpers, formatting.
// Plain ES module, no dependencies; everything is built with DOM APIs and textContent (the only
// HTML strings come from markdown.js: markdown-it with raw HTML off).

const TOKEN_KEY = 'vcf-cds-console-token';

// The token comes from the URL fragment (`#token=…`, never sent to the server) or the login form,
// and lives in sessionStorage for this tab only.
export function readToken() {
  const match = location.hash.match(/(?:^#|&)token=([^&]+)/);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field || '';
  }
}

// GET or POST /console/api/<path>; resolves to the parsed JSON, rejects with ApiError.
export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Authorization: `Bearer ${readToken()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(new URL(`api/${path}`, document.baseURI), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw new ApiError(0, `The service did not answer (${e.message}).`);
  }
  if (response.status === 401) {
    showLogin('The access token was not accepted. Enter the console token printed by the service.');
    throw new ApiError(401, 'Not authorised.');
  }
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json() : null;
  if (!response.ok) {
    const issue = data && data.issue && data.issue[0];
    throw new ApiError(
      response.status,
      (issue && issue.diagnostics) || `The service answered ${response.status}.`,
      issue && issue.expression && issue.expression[0],
    );
  }
  return data;
}

// el('p', {class: 'x', 'aria-live': 'polite'}, 'text', child…): attributes, then children.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

// Category → CSS class; the text label is always shown too (never colour alone).
export function categoryClass(category) {
  switch (category) {
    case 'Usually appropriate': return 'cat-ua';
    case 'May be appropriate': return 'cat-may';
    case 'Usually not appropriate': return 'cat-una';
    default: return 'cat-none';
  }
}

export function categoryBadge(category, disagreement = false) {
  return el('span', { class: `badge ${categoryClass(category)}` },
    category || 'No criteria apply', disagreement ? ' (Disagreement)' : '');
}

export function percent(share) {
  return `${Math.round((share || 0) * 1000) / 10}%`;
}

// "Loading…", an error (role=alert) or nothing, in a status element.
export function setStatus(node, message, { error = false } = {}) {
  clear(node);
  node.classList.toggle('error', error);
  node.setAttribute('role', error ? 'alert' : 'status');
  if (message) node.textContent = message;
}

let loginHandler = null;

// The login form: hidden while a token works; `onToken` re-runs the page's loading.
export function setupLogin(onToken) {
  loginHandler = onToken;
  const form = document.getElementById('login');
  if (!form) return;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const input = form.querySelector('input[name=token]');
    const token = input.value.trim();
    if (!token) {
      input.focus();
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    input.value = '';
    form.hidden = true;
    if (loginHandler) loginHandler();
  });
  if (!readToken()) showLogin('Enter the console access token to continue.');
}

export function showLogin(message) {
  const form = document.getElementById('login');
  if (!form) return;
  form.hidden = false;
  const note = form.querySelector('.login-message');
  if (note) note.textContent = message;
  form.querySelector('input[name=token]').focus();
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  showLogin('Signed out. Enter the console token to continue.');
}
