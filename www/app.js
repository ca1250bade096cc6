// The demo wallet page: connects to the local relay and exchanges direct messages with other tabs.
import init, { MuSigClient } from '../pkg/web/musig2_p2p.js';

const $ = (id) => document.getElementById(id);
const status = (text, cls = '') => { $('status').textContent = text; $('status').className = cls; };

await init();
const { relays } = await (await fetch('relays.json')).json();
// Browsers without RTCPeerConnection only dial the WebSocket address.
const client = new MuSigClient({ relays: relays.filter((r) => !r.includes('/webrtc-direct/') || 'RTCPeerConnection' in window) });
$('peer-id').textContent = client.peerId;
client.on('relayConnected', (e) => status(`connected to relay ${e.relay}`));
client.on('relayReserved', () => { $('circuit').textContent = client.circuitAddresses().join('\n'); status('reachable through the relay', 'ok'); });
client.on('direct', (e) => {
  const li = document.createElement('li');
  li.textContent = `${e.from}: ${new TextDecoder().decode(e.data)}`;
  $('received').append(li);
});
$('send-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    await client.sendDirect($('to').value.trim(), new TextEncoder().encode($('text').value));
    $('send-result').textContent = 'delivered'; $('send-result').className = 'ok';
  } catch (e) {
    $('send-result').textContent = `${e.code}: ${e.message}`; $('send-result').className = 'err';
  }
});
status('connecting…');
try {
  await client.start();
} catch (e) {
  status(`${e.code}: ${e.message}`, 'err');
}
