// Manual end-to-end check: the real CDS Hooks Sandbox (PAMA Imaging screen, order-select) in
// headless Chromium against a running vcf-cds and tests/sandbox/fhir_server.py.
// See tests/sandbox/README.md for the set-up (the Sandbox itself is NOT part of this repo).
//
// It opens the Sandbox with fhirServiceUrl/patientId/serviceDiscoveryURL/screen=pama/hook=order-select,
// picks a procedure (default CPT 72149) and a reason (default SNOMED CT 42942008), waits for our
// card, screenshots it, reads the card (summary, source, suggestions, dismiss) and the "PAMA Rating"
// box, clicks the first suggestion (the Sandbox then POSTs "accepted" feedback), screenshots again,
// and writes the browser console and every non-static request/response to the artifacts folder.
//
// playwright-core is NOT a dependency of this repo: install it outside the repo
// (e.g. `npm install playwright-core` in /tmp/sandbox-e2e) and point PLAYWRIGHT_DIR there.
//
// Environment (all optional):
//   SANDBOX_URL      http://127.0.0.1:8090/            where the built Sandbox SPA is served
//   FHIR_URL         http://127.0.0.1:8081/fhir        tests/sandbox/fhir_server.py
//   DISCOVERY_URL    http://127.0.0.1:8080/cds-services vcf-cds discovery endpoint
//   SERVICE_ID       vcf-imaging-select                the order-select service to watch
//   PATIENT_ID       vcf-demo-1
//   PROCEDURE_CODE   72149     REASON_CODE 42942008
//   CHROMIUM         /usr/bin/chromium
//   PLAYWRIGHT_DIR   /tmp/sandbox-e2e                  folder whose node_modules has playwright-core
//   ARTIFACTS_DIR    <repo>/tests/artifacts            (git-ignored)
//   STEP_TIMEOUT_MS  30000     TOTAL_TIMEOUT_MS 240000
//   DISMISS          1 = afterwards also open the card's Dismiss menu, pick the first override
//                    reason (the Sandbox POSTs "overridden" feedback) and check the card is hidden
//
// Exit code: 0 = card shown and feedback answered 2xx; 1 = check failed (see the printed report);
// 2 = set-up problem (browser/playwright missing); 3 = overall time limit hit.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = process.env;
const cfg = {
  sandboxUrl: env.SANDBOX_URL || 'http://127.0.0.1:8090/',
  fhirUrl: env.FHIR_URL || 'http://127.0.0.1:8081/fhir',
  discoveryUrl: env.DISCOVERY_URL || 'http://127.0.0.1:8080/cds-services',
  serviceId: env.SERVICE_ID || 'vcf-imaging-select',
  patientId: env.PATIENT_ID || 'vcf-demo-1',
  procedureCode: env.PROCEDURE_CODE || '72149',
  reasonCode: env.REASON_CODE || '42942008',
  chromium: env.CHROMIUM || '/usr/bin/chromium',
  playwrightDir: env.PLAYWRIGHT_DIR || '/tmp/sandbox-e2e',
  artifacts: env.ARTIFACTS_DIR || path.resolve(here, '..', 'artifacts'),
  stepMs: Number(env.STEP_TIMEOUT_MS || 30000),
  totalMs: Number(env.TOTAL_TIMEOUT_MS || 240000),
};
const serviceUrl = `${cfg.discoveryUrl}/${cfg.serviceId}`;
const feedbackUrl = `${serviceUrl}/feedback`;
const t0 = Date.now();
const stamp = () => `${((Date.now() - t0) / 1000).toFixed(2)}s`;
const say = (...a) => console.log(`[${stamp()}]`, ...a);

let chromium;
try {
  const require = createRequire(path.join(path.resolve(cfg.playwrightDir), 'package.json'));
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.error(`playwright-core not found under ${cfg.playwrightDir}/node_modules: ${e.message}`);
  process.exit(2);
}
if (!fs.existsSync(cfg.chromium)) {
  console.error(`Chromium not found at ${cfg.chromium} (Debian: apt-get install chromium)`);
  process.exit(2);
}
fs.mkdirSync(cfg.artifacts, { recursive: true });
const art = (name) => path.join(cfg.artifacts, name);
// Remove what an earlier run of this script left, so every file present belongs to this run.
for (const f of ['sandbox-card.png', 'sandbox-card-only.png', 'sandbox-after-suggestion.png',
  'sandbox-dismiss-menu.png', 'sandbox-after-dismiss.png', 'sandbox-load-failed.png',
  'sandbox-call-failed.png', 'sandbox-error.png', 'sandbox-e2e-network.json',
  'sandbox-e2e-console.json', 'sandbox-e2e-result.json']) {
  fs.rmSync(art(f), { force: true });
}

// ---------------------------------------------------------------------------------------------
// Recording: browser console, page errors, and every request that is not a static SPA asset.
const events = [];
const consoleLog = [];
const isInteresting = (url) => !url.startsWith(cfg.sandboxUrl) || /\/(cds-services|fhir)\b/.test(url);

// Decode a bearer JWT's header and payload for the log (the signature is not kept).
function describeAuth(value) {
  if (!value) return undefined;
  const m = /^Bearer\s+([^.]+)\.([^.]+)\.[^.]*$/i.exec(value);
  if (!m) return { scheme: value.split(' ')[0], note: 'not a JWT' };
  const dec = (s) => {
    try { return JSON.parse(Buffer.from(s, 'base64url').toString('utf8')); } catch { return '<undecodable>'; }
  };
  return { jwtHeader: dec(m[1]), jwtPayload: dec(m[2]) };
}
const parseMaybeJson = (text) => {
  if (text == null) return text;
  try { return JSON.parse(text); } catch { return text.length > 20000 ? `${text.slice(0, 20000)}…` : text; }
};

function record(page) {
  page.on('console', (msg) => {
    const entry = { t: stamp(), type: msg.type(), text: msg.text() };
    consoleLog.push(entry);
    if (msg.type() === 'error') say('console.error:', msg.text().slice(0, 300));
  });
  page.on('pageerror', (err) => consoleLog.push({ t: stamp(), type: 'pageerror', text: String(err) }));
  page.on('request', (req) => {
    if (!isInteresting(req.url())) return;
    const headers = req.headers();
    const ev = {
      t: stamp(),
      method: req.method(),
      url: req.url(),
      requestHeaders: { ...headers, authorization: headers.authorization ? '<redacted, decoded below>' : undefined },
      auth: describeAuth(headers.authorization),
      requestBody: parseMaybeJson(req.postData()),
      status: null,
    };
    events.push(ev);
    req.__ev = ev;
  });
  page.on('response', async (res) => {
    const ev = res.request().__ev;
    if (!ev) return;
    ev.status = res.status();
    ev.responseHeaders = res.headers();
    try { ev.responseBody = parseMaybeJson(await res.text()); } catch (e) { ev.responseBody = `<unreadable: ${e.message}>`; }
    ev.done = stamp();
  });
  page.on('requestfailed', (req) => {
    const ev = req.__ev;
    if (!ev) return;
    ev.failure = req.failure() ? req.failure().errorText : 'failed';
    ev.done = stamp();
  });
}

async function waitFor(label, fn, ms = cfg.stepMs, everyMs = 200) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${label}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const serviceCalls = () => events.filter((e) => e.method === 'POST' && e.url === serviceUrl);
const callHas = (e, proc, reason) => {
  const b = e.requestBody;
  const sr = b && b.context && b.context.draftOrders && b.context.draftOrders.entry
    && b.context.draftOrders.entry[0] && b.context.draftOrders.entry[0].resource;
  if (!sr) return false;
  const codes = ((sr.code && sr.code.coding) || []).map((c) => c && c.code);
  const reasons = (sr.reasonCode || []).flatMap((r) => (r.coding || []).map((c) => c && c.code));
  return codes.includes(proc) && (!reason || reasons.includes(reason));
};

// Type into a react-select (v3) found by its placeholder text and click the option whose text matches.
async function pickOption(page, placeholder, query, optionCode, optionMatcher) {
  const control = page.getByText(placeholder, { exact: true });
  await control.click({ timeout: cfg.stepMs });
  await page.keyboard.type(query, { delay: 30 });
  const option = page.locator('div[id*="-option-"]').filter({ hasText: optionMatcher }).first();
  await option.waitFor({ state: 'visible', timeout: cfg.stepMs });
  const text = (await option.innerText()).trim();
  await option.click({ timeout: cfg.stepMs });
  say(`picked ${optionCode}: "${text}"`);
  return text;
}

async function readCards(page) {
  return page.locator('[class*="decision-card"]').evaluateAll((cards) => cards.map((card) => {
    const typo = card.querySelector('.MuiTypography-root');
    const src = card.querySelector('[class*="card-source"]');
    // card-list.css defines no suggestions-/links-/dismiss-section classes, so go by MUI variant:
    // suggestions are "contained" buttons, links "text", Dismiss (and its reason menu) "outlined".
    const buttons = (sel) => Array.from(card.querySelectorAll(sel))
      .map((b) => b.textContent.trim() || b.getAttribute('aria-label'));
    const color = typo ? getComputedStyle(typo).color : null;
    return {
      summary: typo ? typo.textContent.trim() : null,
      summaryColor: color,
      source: src ? src.textContent.replace(/\s+/g, ' ').trim() : null,
      suggestions: buttons('button.MuiButton-contained'),
      links: buttons('button.MuiButton-text'),
      dismissButtons: buttons('button.MuiButton-outlined'),
      detailText: card.innerText.slice(0, 6000),
    };
  }));
}

const readRatingBox = (page) => page.locator('[class*="rating-box"]').first().innerText({ timeout: cfg.stepMs }).then((s) => s.trim());
const readSelections = (page) => page.locator('[class*="current-selection"]').allInnerTexts();
const pageHasError = (page) => page.evaluate(() => document.body.innerText.includes('Could not get a response from the CDS Service'));

// ---------------------------------------------------------------------------------------------
const result = { config: { ...cfg }, steps: [], problems: [] };
let context;
let userDataDir;

async function finish(code) {
  result.elapsed = stamp();
  try { fs.writeFileSync(art('sandbox-e2e-network.json'), JSON.stringify(events, null, 1)); } catch (e) { console.error(e); }
  try { fs.writeFileSync(art('sandbox-e2e-console.json'), JSON.stringify(consoleLog, null, 1)); } catch (e) { console.error(e); }
  try { fs.writeFileSync(art('sandbox-e2e-result.json'), JSON.stringify(result, null, 1)); } catch (e) { console.error(e); }
  try { if (context) await Promise.race([context.close(), new Promise((r) => setTimeout(r, 10000))]); } catch { /* ignore */ }
  try { if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true }); } catch { /* ignore */ }
  console.log('\n===== REPORT =====');
  console.log(JSON.stringify({
    ok: code === 0,
    steps: result.steps,
    problems: result.problems,
    card: result.card,
    ratingBoxBefore: result.ratingBoxBefore,
    ratingBoxAfter: result.ratingBoxAfter,
    selectionsAfter: result.selectionsAfter,
    feedback: result.feedback,
    overrideMenu: result.overrideMenu,
    dismissFeedback: result.dismissFeedback,
    screenshots: result.screenshots,
    artifacts: cfg.artifacts,
  }, null, 2));
  process.exit(code);
}

const watchdog = setTimeout(() => {
  result.problems.push(`overall time limit ${cfg.totalMs} ms hit`);
  finish(3);
}, cfg.totalMs);
watchdog.unref();

async function main() {
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcf-sandbox-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: cfg.chromium,
    headless: true,
    viewport: { width: 1500, height: 2300 }, // tall enough that the card needs no scrolling (the Sandbox header is pinned and would cover it)
    timeout: cfg.stepMs,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(cfg.stepMs);
  record(page);

  const qs = new URLSearchParams({
    fhirServiceUrl: cfg.fhirUrl,
    patientId: cfg.patientId,
    serviceDiscoveryURL: cfg.discoveryUrl,
    screen: 'pama',
    hook: 'order-select',
  });
  const url = `${cfg.sandboxUrl}?${qs.toString()}`;
  result.url = url;
  say('open', url);
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: cfg.stepMs });

  // 1. Sandbox loaded: FHIR metadata + patient + discovery done, PAMA screen rendered.
  try {
    await page.getByRole('heading', { name: 'PAMA Imaging' }).waitFor({ state: 'visible', timeout: cfg.stepMs });
  } catch (e) {
    await page.screenshot({ path: art('sandbox-load-failed.png'), fullPage: true });
    result.problems.push(`PAMA screen did not appear: ${e.message}`);
    result.bodyText = (await page.evaluate(() => document.body.innerText)).slice(0, 4000);
    return finish(1);
  }
  result.steps.push('PAMA screen shown');
  const disc = await waitFor('discovery response', () => events.find((e) => e.method === 'GET' && e.url === cfg.discoveryUrl && (e.status !== null || e.failure))).catch((e) => { result.problems.push(e.message); return null; });
  if (disc) {
    const ids = disc.responseBody && disc.responseBody.services ? disc.responseBody.services.map((s) => `${s.id} (${s.hook})`) : null;
    result.discovery = { status: disc.status, failure: disc.failure, services: ids };
    result.steps.push(`discovery ${disc.status || disc.failure}: ${ids ? ids.join(', ') : '-'}`);
    if (disc.status !== 200) { result.problems.push('discovery failed; see network log'); return finish(1); }
  }
  result.patientBanner = (await page.locator('[class*="patient-banner"]').first().innerText().catch(() => '')).replace(/\s+/g, ' ').trim();

  // 2. Procedure, then reason.
  result.procedureText = await pickOption(page, 'Search orders', cfg.procedureCode, cfg.procedureCode,
    cfg.procedureCode === '72149' ? 'lumbar; with contrast material(s)' : new RegExp('.'));
  result.steps.push(`procedure ${cfg.procedureCode} selected`);
  result.reasonText = await pickOption(page, 'Search reasons', cfg.reasonCode, cfg.reasonCode,
    cfg.reasonCode === '42942008' ? 'Compression fracture of vertebral column' : new RegExp('.'));
  result.steps.push(`reason ${cfg.reasonCode} selected`);
  result.selections = await readSelections(page);

  // 3. The order-select call carrying both codes, and its answer.
  const call = await waitFor('order-select call with procedure and reason',
    () => serviceCalls().find((e) => callHas(e, cfg.procedureCode, cfg.reasonCode) && (e.status !== null || e.failure)))
    .catch((e) => { result.problems.push(e.message); return null; });
  result.serviceCalls = serviceCalls().map((e) => ({
    t: e.t,
    status: e.status,
    failure: e.failure,
    draftCodes: (((e.requestBody || {}).context || {}).draftOrders || { entry: [] }).entry
      .map((x) => JSON.stringify({ code: x.resource.code, reasonCode: x.resource.reasonCode })),
    prefetchKeys: e.requestBody && e.requestBody.prefetch ? Object.keys(e.requestBody.prefetch) : [],
    fhirAuthorization: Boolean(e.requestBody && e.requestBody.fhirAuthorization),
    cards: e.responseBody && Array.isArray(e.responseBody.cards) ? e.responseBody.cards.length : null,
  }));
  if (!call || call.status !== 200) {
    result.problems.push(`service call ${call ? `answered ${call.status || call.failure}` : 'never completed'}; body: ${call ? JSON.stringify(call.responseBody).slice(0, 500) : '-'}`);
    result.sandboxShowsError = await pageHasError(page);
    await page.screenshot({ path: art('sandbox-call-failed.png'), fullPage: true });
    return finish(1);
  }
  result.steps.push(`order-select answered 200 with ${call.responseBody.cards.length} card(s)`);

  // 4. The card as the Sandbox renders it.
  await page.locator('[class*="decision-card"]').first().waitFor({ state: 'visible', timeout: cfg.stepMs });
  await waitFor('rating box to change from unknown', async () => !/unknown/.test(await readRatingBox(page)), 5000).catch(() => {});
  result.cards = await readCards(page);
  result.card = result.cards[0] && { ...result.cards[0], detailText: undefined };
  result.ratingBoxBefore = await readRatingBox(page);
  result.sandboxShowsError = await pageHasError(page);
  result.screenshots = {};
  await page.screenshot({ path: art('sandbox-card.png'), fullPage: true });
  await page.locator('[class*="decision-card"]').first().screenshot({ path: art('sandbox-card-only.png') });
  result.screenshots.card = art('sandbox-card.png');
  result.screenshots.cardOnly = art('sandbox-card-only.png');
  result.steps.push('card shown and screenshotted');
  say('summary:', result.card && result.card.summary);
  say('rating box:', result.ratingBoxBefore);

  // 5. Take the first suggestion -> Sandbox POSTs accepted feedback (only if card.uuid and suggestion.uuid).
  const cardJson = call.responseBody.cards[0];
  // SUGGESTION_MATCH: take the first suggestion whose label contains it (e.g. "→" for a
  // clarification question) instead of the first one.
  const suggestionIndex = env.SUGGESTION_MATCH
    ? (cardJson.suggestions || []).findIndex((s) => s.label.includes(env.SUGGESTION_MATCH))
    : 0;
  const firstSuggestion = cardJson.suggestions && suggestionIndex >= 0 && cardJson.suggestions[suggestionIndex];
  if (!firstSuggestion) {
    result.problems.push('card has no suggestions to click');
    return finish(1);
  }
  result.firstSuggestion = { label: firstSuggestion.label, uuid: firstSuggestion.uuid, actionTypes: (firstSuggestion.actions || []).map((a) => a.type) };
  const callsBefore = serviceCalls().length;
  await page.locator('[class*="decision-card"]').first().locator('button.MuiButton-contained').nth(suggestionIndex).click();
  result.steps.push(`clicked suggestion "${firstSuggestion.label}"`);
  const fb = await waitFor('feedback POST answered',
    () => events.find((e) => e.method === 'POST' && e.url === feedbackUrl && (e.status !== null || e.failure)), 10000)
    .catch((e) => { result.problems.push(e.message); return null; });
  if (fb) {
    result.feedback = { status: fb.status, failure: fb.failure, requestBody: fb.requestBody, responseBody: fb.responseBody, jwtAud: fb.auth && fb.auth.jwtPayload && fb.auth.jwtPayload.aud };
    result.steps.push(`feedback answered ${fb.status || fb.failure}`);
  }
  await new Promise((r) => setTimeout(r, 1500)); // let any re-render / new order-select call happen
  result.ratingBoxAfter = await readRatingBox(page);
  result.selectionsAfter = await readSelections(page);
  result.newServiceCallsAfterSuggestion = serviceCalls().length - callsBefore;
  result.cardsAfter = (await readCards(page)).map((c) => c.summary);
  await page.screenshot({ path: art('sandbox-after-suggestion.png'), fullPage: true });
  result.screenshots.afterSuggestion = art('sandbox-after-suggestion.png');

  const procAfter = result.selectionsAfter[0] || '';
  if ((firstSuggestion.actions || []).every((a) => a.type !== 'update')) {
    result.problems.push(`suggestion actions are [${result.firstSuggestion.actionTypes.join(', ')}]: the Sandbox PAMA screen applies only "update" actions, so the order stayed "${procAfter}"`);
  }
  let ok = fb && fb.status >= 200 && fb.status < 300;

  // 6. Optional: dismiss the card with the first override reason -> "overridden" feedback.
  if (env.DISMISS === '1') {
    const card = page.locator('[class*="decision-card"]').first();
    const feedbackCalls = () => events.filter((e) => e.method === 'POST' && e.url === feedbackUrl);
    const before = feedbackCalls().length;
    const cardsBefore = await page.locator('[class*="decision-card"]').count();
    await card.getByRole('button', { name: 'select dismiss reason' }).click();
    const items = page.getByRole('menuitem');
    await items.first().waitFor({ state: 'visible' });
    result.overrideMenu = (await items.allInnerTexts()).map((x) => x.trim());
    await page.screenshot({ path: art('sandbox-dismiss-menu.png'), fullPage: true });
    result.screenshots.dismissMenu = art('sandbox-dismiss-menu.png');
    await items.first().click();
    result.steps.push(`dismissed with "${result.overrideMenu[0]}"`);
    const fb2 = await waitFor('overridden feedback answered',
      () => feedbackCalls().slice(before).find((e) => e.status !== null || e.failure), 10000)
      .catch((e) => { result.problems.push(e.message); return null; });
    if (fb2) {
      result.dismissFeedback = { status: fb2.status, failure: fb2.failure, requestBody: fb2.requestBody, responseBody: fb2.responseBody };
      result.steps.push(`overridden feedback answered ${fb2.status || fb2.failure}`);
    }
    await waitFor('card hidden', async () => (await page.locator('[class*="decision-card"]').count()) < cardsBefore, 5000)
      .then(() => result.steps.push('card hidden after dismiss'))
      .catch((e) => result.problems.push(e.message));
    await page.screenshot({ path: art('sandbox-after-dismiss.png'), fullPage: true });
    result.screenshots.afterDismiss = art('sandbox-after-dismiss.png');
    ok = ok && fb2 && fb2.status >= 200 && fb2.status < 300;
  }
  return finish(ok ? 0 : 1);
}

main().catch(async (e) => {
  result.problems.push(`error: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e}`);
  try {
    const page = context && context.pages()[0];
    if (page) await page.screenshot({ path: art('sandbox-error.png'), fullPage: true, timeout: 10000 });
  } catch { /* ignore */ }
  finish(1);
});
