// The demo wallet page: one MuSigClient per tab, connected to the local relay it picks (the
// demo runs two peered relays; wallets on either reach each other). A tab creates a
// signing session with other tabs' public keys or joins one it is invited to, and shows the
// progress, the final signature and its verification with the package's SigningContext.
import init, { MuSigClient, SigningContext } from '../pkg/web/musig2_p2p.js';

const $ = (id) => document.getElementById(id);
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (s) => {
  if (s.length % 2 || /[^0-9a-f]/i.test(s)) throw new Error(`not hex: ${s.slice(0, 16)}…`);
  return Uint8Array.from(s.match(/../g) || [], (b) => parseInt(b, 16));
};
const short = (s) => (s.length > 20 ? `${s.slice(0, 10)}…${s.slice(-6)}` : s);

function setStatus(text, cls = '') {
  $('status').textContent = text;
  $('status').className = `badge ${cls}`;
}

function logLine(list, text, cls = '') {
  const li = document.createElement('li');
  if (cls) li.className = cls;
  const time = document.createElement('time');
  time.textContent = new Date().toLocaleTimeString();
  li.append(time, ' ', text);
  list.append(li);
  return li;
}

let client = null;
let scheme = 'bip327';
let ownKey = '';
/** Session cards by session ID: { el, meta: { signers, message, role }, started }. */
const sessions = new Map();
/** Public keys of other demo tabs in this browser (a convenience for filling the form). */
const otherTabs = new Map();

// --- who is who -----------------------------------------------------------------------------

function keyLabel(keyHex) {
  if (keyHex === ownKey) return 'you';
  const tab = otherTabs.get(keyHex);
  return tab ? `${short(keyHex)} (tab ${tab.name})` : short(keyHex);
}

const tabName = Math.random().toString(36).slice(2, 6);
const channel = 'BroadcastChannel' in window ? new BroadcastChannel('musig2-p2p-demo') : null;

/** The label of the relay this tab connected through (told to the other tabs). */
let relayLabel = '';

function announceTab(reply) {
  channel?.postMessage({ kind: 'hello', reply, key: ownKey, scheme, name: tabName, relay: relayLabel });
}

function renderOtherTabs() {
  const box = $('other-tabs');
  box.replaceChildren();
  const keys = [...otherTabs.entries()].filter(([, t]) => t.scheme === scheme);
  if (!keys.length) return;
  box.append('Other demo tabs here: ');
  for (const [key, t] of keys) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'small';
    b.textContent = `+ tab ${t.name}${t.relay ? ` (${t.relay})` : ''}`;
    b.title = key;
    b.addEventListener('click', () => addSigner(key));
    box.append(b, ' ');
  }
}

function addSigner(key) {
  const current = $('signers').value.split(/[\s,]+/).filter(Boolean);
  if (!current.includes(key)) $('signers').value = [...current, key].join('\n');
}

channel?.addEventListener('message', ({ data }) => {
  if (data.kind === 'hello' && data.key && data.key !== ownKey) {
    otherTabs.set(data.key, { name: data.name, scheme: data.scheme, relay: data.relay });
    if (!data.reply && ownKey) announceTab(true);
  } else if (data.kind === 'bye') {
    otherTabs.delete(data.key);
  }
  renderOtherTabs();
});
window.addEventListener('pagehide', () => ownKey && channel?.postMessage({ kind: 'bye', key: ownKey }));

// --- sessions -------------------------------------------------------------------------------

function sessionCard(id) {
  let s = sessions.get(id);
  if (s) return s;
  const el = $('session-template').content.firstElementChild.cloneNode(true);
  el.dataset.sessionId = id;
  el.querySelector('.sid').textContent = short(id);
  el.querySelector('.sid').title = id;
  el.querySelector('.abort').addEventListener('click', () => {
    client.abortSession(id).catch((e) => logLine(el.querySelector('.timeline'), `abort: ${e.code}: ${e.message}`, 'err'));
  });
  $('sessions').prepend(el);
  $('sessions-card').querySelector('.empty').hidden = true;
  s = { el, meta: null, started: performance.now(), watching: false };
  sessions.set(id, s);
  return s;
}

/** How a session's key is tweaked, in words. */
function taprootText(taproot) {
  if (!taproot) return 'no: signs for the plain aggregate key';
  const root = taproot.merkleRoot;
  return root ? `output key tweaked with merkle root ${hex(root)}` : 'output key tweaked with no script tree (key path only)';
}

function describeSession(id, meta) {
  const s = sessionCard(id);
  s.meta = meta;
  s.el.querySelector('.role').textContent = meta.role;
  s.el.querySelector('.taproot').textContent = taprootText(meta.taproot);
  s.el.querySelector('.message').textContent = hex(meta.message) + (meta.note ? `  = ${meta.note}` : '');
  s.el.querySelector('.signers').textContent = meta.signers.map((k) => keyLabel(hex(k))).join(', ');
  watchSignature(id);
}

function sessionLog(id, text, cls = '') {
  const s = sessionCard(id);
  const ms = Math.round(performance.now() - s.started);
  logLine(s.el.querySelector('.timeline'), `+${ms} ms  ${text}`, cls);
}

function setState(id, text, cls = '') {
  const badge = sessionCard(id).el.querySelector('.state');
  badge.textContent = text;
  badge.className = `badge state ${cls}`;
}

const PHASE_ORDER = ['joining', 'nonceCollection', 'partialSigCollection', 'aggregation', 'broadcastConfirmation', 'completed'];

function showPhase(id, phase) {
  const steps = sessionCard(id).el.querySelectorAll('.steps li');
  const reached = PHASE_ORDER.indexOf(phase);
  if (reached < 0) return;
  steps.forEach((li, i) => {
    li.classList.toggle('done', i < reached || phase === 'completed');
    li.classList.toggle('current', i === reached && phase !== 'completed');
  });
}

/** Awaits the session's signature and shows it with its verification. */
function watchSignature(id) {
  const s = sessionCard(id);
  if (s.watching) return;
  s.watching = true;
  client.signature(id).then(
    (signature) => {
      const result = s.el.querySelector('.result');
      result.hidden = false;
      s.el.querySelector('.signature').textContent = hex(signature);
      // With Taproot the context is tweaked: aggregateKey() is the output key.
      const ctx = new SigningContext(scheme, s.meta.signers, s.meta.taproot ?? null);
      const ok = ctx.verify(s.meta.message, signature);
      const keyName = s.meta.taproot ? 'Taproot output key' : 'aggregate key';
      s.el.querySelector('.key-label').textContent = keyName[0].toUpperCase() + keyName.slice(1);
      s.el.querySelector('.aggregate-key').textContent = hex(ctx.aggregateKey());
      const v = s.el.querySelector('.verified');
      v.textContent = ok ? `✓ valid ${scheme} signature under the ${keyName}` : '✗ does not verify';
      v.className = `verified ${ok ? 'ok' : 'err'}`;
      s.el.classList.add(ok ? 'verified-ok' : 'verified-bad');
      s.el.querySelector('.abort').hidden = true;
      setState(id, ok ? 'signed' : 'invalid signature', ok ? 'ok' : 'err');
      ctx.free();
    },
    (e) => {
      s.el.querySelector('.abort').hidden = true;
      setState(id, e.code === 'SESSION_ABORTED' ? 'aborted' : 'failed', 'err');
      sessionLog(id, `${e.code}: ${e.message}`, 'err');
    },
  );
}

function onSessionEvent(e) {
  const id = e.sessionId;
  switch (e.type) {
    case 'coordinatorElected': {
      const order = e.order.map((k) => hex(k));
      sessionCard(id).el.querySelector('.coordinator').textContent = keyLabel(order[0]);
      sessionLog(id, `coordinator elected: ${keyLabel(order[0])}; failover order ${order.slice(1).map(keyLabel).join(', ') || '—'}`);
      break;
    }
    case 'phaseChanged':
      showPhase(id, e.phase);
      sessionLog(id, `phase: ${e.phase}`);
      if (!['completed', 'aborted', 'failed'].includes(e.phase)) setState(id, e.phase, 'busy');
      break;
    case 'newAttempt':
      sessionLog(id, `new attempt ${e.attempt} with fresh nonces`, 'warn');
      break;
    case 'failover':
      sessionLog(id, `failover: coordinator ${keyLabel(hex(e.failed))} failed, ${keyLabel(hex(e.coordinator))} takes over`, 'warn');
      break;
    case 'signatureReady':
      sessionLog(id, `signature ready${e.broadcastDuty ? ' (this wallet broadcasts)' : ''}`, 'ok');
      break;
    case 'completed':
      showPhase(id, 'completed');
      sessionLog(id, 'completed', 'ok');
      break;
    case 'aborted':
      sessionLog(id, `aborted by ${keyLabel(hex(e.by))}: ${e.reason}`, 'err');
      break;
    case 'failed':
      sessionLog(id, `failed: ${e.reason}`, 'err');
      break;
    default:
  }
}

function invitation(e) {
  const li = document.createElement('li');
  li.dataset.sessionId = e.sessionId;
  const text = document.createElement('div');
  text.innerHTML = '<strong></strong> invites you to sign <code></code> (<span></span>)';
  text.querySelector('strong').textContent = keyLabel(hex(e.signers.find((k) => hex(k) !== ownKey) || e.signers[0]));
  text.querySelector('code').textContent = short(hex(e.message));
  text.querySelector('code').title = hex(e.message);
  text.querySelector('span').textContent = `${e.signers.length} signers, ${e.txType}${e.taproot ? ', Taproot' : ''}, session ${short(e.sessionId)}`;
  const join = document.createElement('button');
  join.className = 'join';
  join.textContent = 'Join';
  const decline = document.createElement('button');
  decline.className = 'decline secondary';
  decline.textContent = 'Decline';
  const meta = { role: 'invited', signers: e.signers, message: e.message, taproot: e.taproot };
  join.addEventListener('click', async () => {
    li.remove();
    describeSession(e.sessionId, { ...meta, role: 'joined an invitation' });
    try {
      await client.joinSession(e.sessionId);
      sessionLog(e.sessionId, 'joined');
    } catch (err) {
      sessionLog(e.sessionId, `join: ${err.code}: ${err.message}`, 'err');
    }
  });
  decline.addEventListener('click', async () => {
    li.remove();
    describeSession(e.sessionId, { ...meta, role: 'declined' });
    try {
      await client.declineSession(e.sessionId);
    } catch (err) {
      sessionLog(e.sessionId, `decline: ${err.code}: ${err.message}`, 'err');
    }
  });
  li.append(text, join, ' ', decline);
  $('invitations').append(li);
  $('invitations-card').querySelector('.empty').hidden = true;
}

// --- forms ----------------------------------------------------------------------------------

/** The message bytes from the form, and how they were made. */
async function messageBytes() {
  const raw = $('message').value.trim();
  if ($('message-kind').value === 'hex') return { message: unhex(raw.replace(/^0x/, '')), note: '' };
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(raw));
  return { message: new Uint8Array(digest), note: `SHA-256(${JSON.stringify(raw)})` };
}

/** The Taproot tweak from the form: null (untweaked) or { merkleRoot } (null = key path only). */
function taprootTweak() {
  if (!$('taproot').checked) return null;
  const raw = $('merkle-root').value.trim().replace(/^0x/, '').toLowerCase();
  if (!raw) return { merkleRoot: null };
  if (!/^[0-9a-f]{64}$/.test(raw)) throw new Error('the merkle root is 32 bytes: 64 hex characters');
  return { merkleRoot: unhex(raw) };
}

$('taproot').addEventListener('change', () => { $('merkle-root').disabled = !$('taproot').checked; });

$('create-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const out = $('create-result');
  try {
    const others = $('signers').value.split(/[\s,]+/).filter(Boolean).map((k) => k.toLowerCase());
    for (const k of others) if (!/^0[23][0-9a-f]{64}$/.test(k)) throw new Error(`not a 33-byte compressed public key: ${short(k)}`);
    const keys = [...new Set([ownKey, ...others])];
    if (keys.length < 2) throw new Error('add at least one other signer');
    const { message, note } = await messageBytes();
    if (scheme === 'lotus' && message.length !== 32) throw new Error('Lotus signs 32-byte messages: use text (hashed) or 64 hex characters');
    const taproot = taprootTweak();
    const signers = keys.map(unhex);
    const started = performance.now();
    const id = await client.createSession({ signers, message, taproot, election: $('election').value, txType: $('tx-type').value || 'default' });
    sessionCard(id).started = Math.min(sessionCard(id).started, started);
    describeSession(id, { role: 'created by you', signers, message, note, taproot });
    sessionLog(id, `created with ${signers.length} signers${taproot ? ', Taproot output key' : ''}`);
    out.textContent = `session ${short(id)} created`;
    out.className = 'ok';
  } catch (e) {
    out.textContent = e.code ? `${e.code}: ${e.message}` : e.message;
    out.className = 'err';
  }
});

$('copy-key').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(ownKey);
    $('copy-key').textContent = 'Copied';
  } catch {
    // Clipboard access refused (e.g. not focused): select the text for a manual copy.
    getSelection().selectAllChildren($('public-key'));
    $('copy-key').textContent = 'Selected';
  }
  setTimeout(() => { $('copy-key').textContent = 'Copy'; }, 1500);
});

async function connect(relays) {
  const skHex = $('secret-key').value.trim();
  scheme = $('scheme').value;
  const config = { relays, scheme };
  if (skHex) config.secretKey = unhex(skHex);
  // Otherwise the wallet also holds reservations on relays it learns (relay redundancy).
  if ($('only-relay').checked) config.minRelays = 0;
  $('secret-key').value = '';
  client = new MuSigClient(config);
  ownKey = hex(client.publicKey);
  window.demo = { client, sessions }; // for the console and the tests
  $('public-key').textContent = ownKey;
  $('peer-id').textContent = client.peerId;
  $('wallet-scheme').textContent = scheme;
  relayLabel = choices[Number($('relay-choice').value) || 0]?.label ?? '';
  $('relay').textContent = relays.join('\n');
  $('connect-form').hidden = true;
  $('wallet-info').hidden = false;
  document.title = `demo wallet ${ownKey.slice(0, 8)}`;

  const net = $('network-log');
  // After start() the client may connect to more relays (the ones it learns, unless
  // minRelays is 0): those do not take the wallet offline again.
  let online = false;
  const showCircuits = () => { $('circuit').textContent = client.circuitAddresses().join('\n'); };
  client.on('relayConnected', (e) => {
    logLine(net, `connected to relay ${short(e.relay)}`);
    if (!online) setStatus('connected, reserving a slot…', 'busy');
  });
  client.on('relayReserved', (e) => {
    logLine(net, `reservation accepted by ${short(e.relay)}`, 'ok');
    showCircuits();
  });
  client.on('relayLost', (e) => {
    logLine(net, `relay lost: ${short(e.relay)}`, 'warn');
    showCircuits();
  });
  client.on('relayUnreachable', (e) => logLine(net, `relay unreachable: ${e.reason}`, 'err'));
  client.on('peerConnected', (e) => logLine(net, `peer connected: ${short(e.peer)}`));
  client.on('peerDisconnected', (e) => logLine(net, `peer disconnected: ${short(e.peer)}`));
  client.on('messageRejected', (e) => logLine(net, `rejected a message from ${short(e.from)}: ${e.reason}`, 'warn'));
  client.on('sessionDiscovered', invitation);
  for (const name of ['coordinatorElected', 'phaseChanged', 'newAttempt', 'failover', 'signatureReady', 'completed', 'aborted', 'failed']) {
    client.on(name, onSessionEvent);
  }

  setStatus('connecting…', 'busy');
  try {
    await client.start();
    online = true;
    setStatus('online: reachable through the relay', 'ok');
    $('create').disabled = false;
    announceTab(false);
    renderOtherTabs();
  } catch (e) {
    setStatus(`${e.code}: ${e.message}`, 'err');
  }
}

// --- start ----------------------------------------------------------------------------------

await init();
const params = new URLSearchParams(location.search);
const { relays: served, relayChoices } = await (await fetch('relays.json')).json();
// The relays a tab can pick ({ label, addresses }): `?relay=` addresses, else the served
// choices (one relay each), else the served list as one choice.
const choices = params.getAll('relay').length ? [{ label: 'from the URL', addresses: params.getAll('relay') }]
  : relayChoices?.length ? relayChoices.map((c) => ({ label: c.label, addresses: [c.address] }))
    : [{ label: 'local relay', addresses: served }];
for (const [i, c] of choices.entries()) {
  const option = document.createElement('option');
  option.value = String(i);
  option.textContent = `${c.label}: ${c.addresses.map((a) => a.replace(/\/p2p\/[^/]+$/, '')).join(', ')}`;
  option.title = c.addresses.join('\n');
  $('relay-choice').append(option);
}
// `?relayChoice=i` picks the tab's relay (default the first).
if (params.has('relayChoice') && choices[Number(params.get('relayChoice'))]) $('relay-choice').value = String(Number(params.get('relayChoice')));
// Browsers without RTCPeerConnection only dial WebSocket addresses.
const chosenRelays = () => choices[Number($('relay-choice').value) || 0].addresses
  .filter((r) => !r.includes('/webrtc-direct/') || 'RTCPeerConnection' in window);
if (params.get('scheme')) $('scheme').value = params.get('scheme');
setStatus('not connected');
$('connect-form').addEventListener('submit', (ev) => { ev.preventDefault(); connect(chosenRelays()); });
window.demoReady = true;
if (params.has('autoconnect')) connect(chosenRelays());
