//! A seeded, deterministic simulated network for the session machine: N nodes, a virtual
//! clock, random latency, loss, duplication (and so reordering), crashes and restarts.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

pub mod arena;
pub mod chain;
pub mod open;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use musig2_crypto::hash::sha256;
use musig2_crypto::{bip327, bip340, taproot};
use musig2_session::crypto::{Scheme, SecretKey};
use musig2_session::inbox::{merge_inbox, validate_inbox, INBOX_MAGIC};
use musig2_session::wire::{Envelope, KeyBytes, Message, TweakSpec};
use musig2_session::{
    Config, Destination, ElectionMethod, Event, Machine, PeerId, Phase, SessionParams,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// Start of simulated time (ms since the epoch).
pub const T0: u64 = 1_700_000_000_000;

#[derive(Clone, Debug)]
pub struct NetParams {
    pub latency_min: u64,
    pub latency_max: u64,
    /// Per-mille probabilities.
    pub loss: u32,
    pub dup: u32,
}

impl NetParams {
    pub fn perfect() -> Self {
        Self {
            latency_min: 10,
            latency_max: 10,
            loss: 0,
            dup: 0,
        }
    }
}

pub struct Node {
    pub sk: [u8; 32],
    pub key: KeyBytes,
    pub peer: PeerId,
    pub machine: Option<Machine>,
    /// What an application persists: announcement envelope and last attempt per session.
    pub persisted: BTreeMap<[u8; 32], (Vec<u8>, u32)>,
    pub auto_join: bool,
    pub events: Vec<(u64, Event)>,
    /// Every public nonce this node ever sent: nonce → (session, attempt).
    pub nonces_sent: BTreeMap<[u8; 66], ([u8; 32], u32)>,
    pub errors: Vec<musig2_session::Error>,
    /// Every envelope this node sent (for replay attacks), and its highest sequence number.
    pub sent: Vec<Vec<u8>>,
    pub last_seq: u64,
}

/// (deliver at, tie-breaker, to, from, bytes)
type InFlight = (u64, u64, usize, usize, Vec<u8>);

pub struct Sim {
    pub now: u64,
    pub nodes: Vec<Node>,
    pub params: NetParams,
    pub rng: ChaCha20Rng,
    queue: BinaryHeap<Reverse<InFlight>>,
    counter: u64,
    pub dht: BTreeMap<[u8; 32], Vec<u8>>,
    pub config: Config,
    pub delivered: u64,
    /// Dropped on the way: (from, or any sender when `None`; to; message kind).
    pub blocked: Vec<(Option<usize>, usize, musig2_session::wire::Kind)>,
    pub scheme: Scheme,
    pub record: bool,
    /// Machines take envelopes only from their key's peer (as musig2-net's do).
    pub bound: bool,
    /// Per node, how late its driver runs due timers (ms): a busy event loop, as a browser
    /// tab's, handles messages that arrive meanwhile before the timer.
    pub timer_lag: BTreeMap<usize, u64>,
    /// Steps taken at the current instant (a machine whose timer is due but does nothing
    /// would make a driver spin: the simulation fails instead).
    steps_at_now: (u64, u64),
}

/// The peer of a key in a bound simulation: a node's own peer, or for any other key (an
/// attacker's) the key bytes themselves.
pub fn peer_of(peers: &[(KeyBytes, PeerId)], key: &KeyBytes) -> PeerId {
    peers
        .iter()
        .find(|(k, _)| k == key)
        .map_or_else(|| PeerId::new(key.to_vec()), |(_, p)| p.clone())
}

pub fn secret(seed: u64, i: usize) -> [u8; 32] {
    sha256(&[&seed.to_be_bytes(), &(i as u64).to_be_bytes()])
}

impl Sim {
    pub fn new(seed: u64, n: usize, params: NetParams, config: Config) -> Self {
        Self::with_scheme(seed, n, params, config, Scheme::Bip327)
    }

    pub fn with_scheme(
        seed: u64,
        n: usize,
        params: NetParams,
        config: Config,
        scheme: Scheme,
    ) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let nodes = (0..n)
            .map(|i| {
                let sk = secret(seed, i);
                let key = SecretKey::from_bytes(&sk).unwrap().public_key().to_bytes();
                let mut entropy = [0u8; 32];
                rng.fill_bytes(&mut entropy);
                let m = Machine::new(
                    config.clone(),
                    scheme,
                    SecretKey::from_bytes(&sk).unwrap(),
                    T0,
                    entropy,
                );
                Node {
                    sk,
                    key,
                    peer: PeerId::new(vec![i as u8, 0xAA]),
                    machine: Some(m),
                    persisted: BTreeMap::new(),
                    auto_join: true,
                    events: Vec::new(),
                    nonces_sent: BTreeMap::new(),
                    errors: Vec::new(),
                    sent: Vec::new(),
                    last_seq: 0,
                }
            })
            .collect();
        Self {
            now: T0,
            nodes,
            params,
            rng,
            queue: BinaryHeap::new(),
            counter: 0,
            dht: BTreeMap::new(),
            config,
            delivered: 0,
            blocked: Vec::new(),
            record: false,
            scheme,
            bound: false,
            timer_lag: BTreeMap::new(),
            steps_at_now: (0, 0),
        }
    }

    /// Binds every machine (now and after restarts) to take envelopes only from the peer of
    /// their signing key ([`peer_of`]).
    pub fn bind_peers(&mut self) {
        self.bound = true;
        for i in 0..self.nodes.len() {
            self.bind(i);
        }
    }

    fn bind(&mut self, i: usize) {
        let peers: Vec<(KeyBytes, PeerId)> =
            self.nodes.iter().map(|n| (n.key, n.peer.clone())).collect();
        if let Some(m) = self.nodes[i].machine.as_mut() {
            m.bind_peers_to_keys(Box::new(move |k| Some(peer_of(&peers, k))));
        }
    }

    pub fn keys(&self) -> Vec<KeyBytes> {
        self.nodes.iter().map(|n| n.key).collect()
    }

    pub fn index_of(&self, key: &KeyBytes) -> Option<usize> {
        self.nodes.iter().position(|n| &n.key == key)
    }

    /// Queues bytes from node `from` to node `to` through the lossy network.
    pub fn send(&mut self, from: usize, to: usize, bytes: Vec<u8>) {
        if !self.blocked.is_empty() {
            if let Ok(env) = Envelope::decode(&bytes) {
                let kind = env.message.kind();
                if self
                    .blocked
                    .iter()
                    .any(|&(f, t, k)| f.is_none_or(|f| f == from) && t == to && k == kind)
                {
                    return;
                }
            }
        }
        if self.rng.next_u32() % 1000 < self.params.loss {
            return;
        }
        let copies = if self.rng.next_u32() % 1000 < self.params.dup {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let span = self.params.latency_max - self.params.latency_min + 1;
            let at = self.now + self.params.latency_min + u64::from(self.rng.next_u32()) % span;
            self.counter += 1;
            self.queue
                .push(Reverse((at, self.counter, to, from, bytes.clone())));
        }
    }

    /// Injects raw bytes as if peer `from_peer` sent them to node `to` now.
    pub fn inject(
        &mut self,
        to: usize,
        from_peer: &PeerId,
        bytes: &[u8],
    ) -> Result<(), musig2_session::Error> {
        let now = self.now;
        let mut rng = ChaCha20Rng::seed_from_u64(self.rng.next_u64());
        let m = self.nodes[to].machine.as_mut().expect("node up");
        let r = m.handle_message(now, from_peer, bytes, &mut rng);
        self.drain(to);
        r
    }

    /// Moves transmits and events out of node `i` into the network and its log (joining
    /// discovered sessions when the node auto-joins), until nothing is left.
    pub fn drain(&mut self, i: usize) {
        loop {
            let mut out = Vec::new();
            let mut events = Vec::new();
            if let Some(m) = self.nodes[i].machine.as_mut() {
                while let Some(t) = m.poll_transmit() {
                    out.push(t);
                }
                while let Some(e) = m.poll_event() {
                    events.push(e);
                }
            }
            if out.is_empty() && events.is_empty() {
                break;
            }
            for t in out {
                self.route(i, t);
            }
            let now = self.now;
            for e in events {
                if let Event::SessionLookup { session_id } = &e {
                    if let Some(record) = self.dht.get(session_id).cloned() {
                        if let Some(m) = self.nodes[i].machine.as_mut() {
                            let _ = m.handle_dht_record(now, &record);
                        }
                    }
                }
                if let Event::SessionDiscovered { session_id, .. } = &e {
                    if self.nodes[i].auto_join {
                        let mut rng = ChaCha20Rng::seed_from_u64(self.rng.next_u64());
                        if let Some(m) = self.nodes[i].machine.as_mut() {
                            m.join(now, session_id, &mut rng).unwrap();
                        }
                    }
                }
                self.nodes[i].events.push((now, e));
            }
        }
        self.persist(i);
    }

    fn route(&mut self, i: usize, t: musig2_session::Transmit) {
        if self.record {
            self.nodes[i].sent.push(t.bytes.clone());
        }
        if let Ok(env) = Envelope::decode(&t.bytes) {
            self.nodes[i].last_seq = self.nodes[i].last_seq.max(env.seq);
            if let Message::NonceShare(n) = env.message {
                let tag = (env.session_id, env.attempt);
                let prev = self.nodes[i].nonces_sent.insert(n, tag);
                assert!(
                    prev.is_none() || prev == Some(tag),
                    "nonce reused across attempts: {prev:?} then {tag:?} from node {i}"
                );
            }
        }
        match t.to {
            Destination::Signer(k) => {
                if let Some(j) = self.index_of(&k) {
                    self.send(i, j, t.bytes);
                }
            }
            Destination::Topic(_) => {
                for j in 0..self.nodes.len() {
                    if j != i {
                        self.send(i, j, t.bytes.clone());
                    }
                }
            }
            Destination::DhtPut(k) => self.dht_put(k, t.bytes),
        }
    }

    fn persist(&mut self, i: usize) {
        let Some(m) = self.nodes[i].machine.as_ref() else {
            return;
        };
        let ids: Vec<[u8; 32]> = self.nodes[i]
            .events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::CoordinatorElected { session_id, .. } => Some(*session_id),
                _ => None,
            })
            .collect();
        let infos: Vec<_> = ids
            .into_iter()
            .filter_map(|id| Some((id, m.session(&id)?)))
            .collect();
        for (id, info) in infos {
            self.nodes[i]
                .persisted
                .insert(id, (info.announcement, info.attempt));
        }
    }

    /// Creates a session at node `creator` over all nodes.
    pub fn create(
        &mut self,
        creator: usize,
        message: &[u8],
        election: ElectionMethod,
        tweak: TweakSpec,
    ) -> [u8; 32] {
        let params = SessionParams {
            signers: self.keys(),
            message: message.to_vec(),
            tweak,
            election,
            tx_type: "spend".into(),
        };
        let now = self.now;
        let mut rng = ChaCha20Rng::seed_from_u64(self.rng.next_u64());
        let id = self.nodes[creator]
            .machine
            .as_mut()
            .unwrap()
            .create_session(now, params, &mut rng)
            .unwrap();
        self.drain(creator);
        id
    }

    /// Crashes node `i`: its machine (and every secret nonce) is gone.
    pub fn crash(&mut self, i: usize) {
        self.nodes[i].machine = None;
    }

    /// Restarts node `i` with a fresh machine and resumes its persisted sessions.
    pub fn restart(&mut self, i: usize) {
        let mut m = self.new_machine(i);
        for (ann, attempt) in self.nodes[i].persisted.values() {
            let _ = m.resume_session(self.now, ann, *attempt);
        }
        self.install(i, m);
        // Sessions it never heard of are found through the DHT.
        let records: Vec<Vec<u8>> = self.dht.values().cloned().collect();
        for r in records {
            let _ = self.nodes[i]
                .machine
                .as_mut()
                .unwrap()
                .handle_dht_record(self.now, &r);
        }
        self.drain(i);
    }

    /// A fresh machine with node `i`'s key (nothing persisted, nothing heard).
    fn new_machine(&mut self, i: usize) -> Machine {
        let mut entropy = [0u8; 32];
        self.rng.fill_bytes(&mut entropy);
        let sk = SecretKey::from_bytes(&self.nodes[i].sk).unwrap();
        Machine::new(self.config.clone(), self.scheme, sk, self.now, entropy)
    }

    /// Makes `m` node `i`'s machine (bound to peers like the others).
    fn install(&mut self, i: usize, m: Machine) {
        self.nodes[i].machine = Some(m);
        if self.bound {
            self.bind(i);
        }
    }

    /// Stores a record as a relay does: inbox records merge with what the key holds, any
    /// other record replaces it.
    pub fn dht_put(&mut self, key: [u8; 32], value: Vec<u8>) {
        let now = self.now;
        if !value.starts_with(INBOX_MAGIC) {
            self.dht.insert(key, value);
            return;
        }
        let Ok(incoming) = validate_inbox(&key, &value, now) else {
            return;
        };
        let stored = self
            .dht
            .get(&key)
            .and_then(|v| validate_inbox(&key, v, now).ok());
        let merged = match stored {
            Some(stored) => merge_inbox(&stored, &incoming, now).unwrap_or(incoming),
            None => incoming,
        };
        self.dht.insert(key, merged.encode());
    }

    /// Starts node `i` as a new install would (no persisted session, nothing heard): a fresh
    /// machine that reads its inbox record from the DHT; returns the look-ups it asked for.
    pub fn start_fresh(&mut self, i: usize) -> Result<usize, musig2_session::inbox::InboxError> {
        let m = self.new_machine(i);
        let inbox = self.dht.get(&m.inbox_key()).cloned().unwrap_or_default();
        self.install(i, m);
        let r = self.nodes[i]
            .machine
            .as_mut()
            .unwrap()
            .handle_inbox_record(self.now, &inbox);
        self.drain(i);
        r
    }

    /// The next instant something happens (delivery or timer), if any.
    fn next_instant(&self) -> Option<u64> {
        let q = self.queue.peek().map(|Reverse((t, ..))| *t);
        let timers = (0..self.nodes.len())
            .filter_map(|i| self.timer_due(i))
            .min();
        [q, timers].into_iter().flatten().min()
    }

    /// When node `i`'s driver runs its next timer (its machine's deadline plus its lag).
    fn timer_due(&self, i: usize) -> Option<u64> {
        let lag = self.timer_lag.get(&i).copied().unwrap_or(0);
        let t = self.nodes[i].machine.as_ref()?.poll_timeout()?;
        Some(t.saturating_add(lag))
    }

    /// Runs until `until` (or until nothing is left to do).
    pub fn run_until(&mut self, until: u64) {
        while let Some(t) = self.next_instant() {
            if t > until {
                break;
            }
            self.now = self.now.max(t);
            self.step();
        }
        self.now = self.now.max(until);
    }

    /// Runs until `done` holds or `until` passes; returns whether `done` held.
    pub fn run_while(&mut self, until: u64, mut done: impl FnMut(&Sim) -> bool) -> bool {
        while !done(self) {
            match self.next_instant() {
                Some(t) if t <= until => {
                    self.now = self.now.max(t);
                    self.step();
                }
                _ => return done(self),
            }
        }
        true
    }

    fn step(&mut self) {
        let now = self.now;
        let (at, count) = self.steps_at_now;
        self.steps_at_now = if at == now { (at, count + 1) } else { (now, 1) };
        assert!(
            self.steps_at_now.1 < 10_000,
            "a timer due at {} ms never resolves: a driver would spin",
            now - T0
        );
        while let Some(Reverse((t, ..))) = self.queue.peek() {
            if *t > now {
                break;
            }
            let Reverse((_, _, to, from, bytes)) = self.queue.pop().unwrap();
            let peer = self.nodes[from].peer.clone();
            if let Some(m) = self.nodes[to].machine.as_mut() {
                self.delivered += 1;
                // A fresh random stream per delivery. (Seeding from the enqueue counter gave
                // every delivery of one step the same bytes, so two nonces generated in one
                // step, for two attempts, came out equal.)
                let mut rng = ChaCha20Rng::seed_from_u64(self.delivered);
                if let Err(e) = m.handle_message(now, &peer, &bytes, &mut rng) {
                    self.nodes[to].errors.push(e);
                }
                self.drain(to);
            }
        }
        for i in 0..self.nodes.len() {
            let due = self.timer_due(i).is_some_and(|t| t <= now);
            if due {
                self.nodes[i].machine.as_mut().unwrap().handle_timeout(now);
                self.drain(i);
            }
        }
    }

    pub fn phase(&self, i: usize, id: &[u8; 32]) -> Option<Phase> {
        self.nodes[i].machine.as_ref()?.session(id).map(|s| s.phase)
    }

    /// Whether every node (all up) completed the session.
    pub fn all_completed(&self, id: &[u8; 32]) -> bool {
        (0..self.nodes.len()).all(|i| self.phase(i, id) == Some(Phase::Completed))
    }

    /// Every signature reported by node `i` for session `id`.
    pub fn signatures(&self, i: usize, id: &[u8; 32]) -> Vec<[u8; 64]> {
        self.nodes[i]
            .events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::SignatureReady {
                    session_id,
                    signature,
                    ..
                } if session_id == id => Some(signature.to_bytes()),
                _ => None,
            })
            .collect()
    }
}

/// Independent check of a final signature with the crypto core's scheme API.
pub fn verify_final_with(
    scheme: Scheme,
    keys: &[KeyBytes],
    tweak: TweakSpec,
    msg: &[u8],
    sig: &[u8; 64],
) -> bool {
    use musig2_crypto::scheme as cs;
    let pks: Vec<cs::PublicKey> = keys
        .iter()
        .map(|k| cs::PublicKey::from_bytes(k).unwrap())
        .collect();
    let tweak = match tweak {
        TweakSpec::None => cs::Tweak::None,
        TweakSpec::Taproot { merkle_root } => cs::Tweak::Taproot { merkle_root },
    };
    let ctx = cs::SigningContext::new(scheme, &pks, tweak).unwrap();
    ctx.verify(msg, &cs::Signature::from_bytes(sig).unwrap())
}

/// Independent check of a BIP-327 final signature with the crypto core's BIP-327 and BIP-340
/// modules (not the session crate).
pub fn verify_final(keys: &[KeyBytes], tweak: TweakSpec, msg: &[u8], sig: &[u8; 64]) -> bool {
    let mut ctx = bip327::KeyAggContext::new(&bip327::key_sort(keys)).unwrap();
    if let TweakSpec::Taproot { merkle_root } = tweak {
        taproot::apply_taproot_tweak(&mut ctx, merkle_root.as_ref()).unwrap();
    }
    bip340::verify(&ctx.xonly_public_key(), msg, sig)
}
