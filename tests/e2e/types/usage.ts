// Type-level tests of the package's TypeScript declarations: correct use must compile and
// every `@ts-expect-error` line must be an error (tsc fails if a type is too loose).
import init, {
  MuSigClient,
  SigningContext,
  generateSecretKey,
  nonceGen,
  publicKey,
  schnorrSign,
  schnorrVerify,
  type MuSigEvent,
  type NonceGenResult,
  type NonceGenOptions,
  type DeterministicSignResult,
  type ErrorCode,
  type MessageRejectedCode,
  type IdentityTier,
  type IdentityClaimCheck,
  type KnownSigner,
  type MuSigEventOf,
} from '../../../pkg/web/musig2_p2p.js';

export async function correctUse(): Promise<void> {
  await init();
  const sk: Uint8Array = generateSecretKey();
  const pk: Uint8Array = publicKey(sk);
  const ctx = new SigningContext('lotus', [pk], { merkleRoot: null });
  const scheme: 'bip327' | 'lotus' = ctx.scheme;
  const msg = new Uint8Array(32);
  const n: NonceGenResult = ctx.nonceGen(sk, msg);
  const agg = ctx.nonceAgg([n.pubNonce]);
  const psig = ctx.sign(n.secNonce, sk, agg, msg);
  const ok: boolean = ctx.verify(msg, ctx.aggregate(agg, msg, [psig]));
  const used: boolean = n.secNonce.used;
  const bip = SigningContext.inKeyOrder('bip327', [pk], null);
  bip.applyTweak(new Uint8Array(32), true);
  bip.applyTweak(new Uint8Array(32), false);
  const plain: Uint8Array = bip.plainAggregateKey();
  const opts: NonceGenOptions = {
    scheme: 'bip327',
    publicKey: pk,
    secretKey: sk,
    aggregateKey: bip.aggregateKey(),
    msg,
    extraIn: null,
    dangerousRand: new Uint8Array(32),
  };
  const free: NonceGenResult = nonceGen(opts);
  const lotusNonce: NonceGenResult = nonceGen({
    scheme: 'lotus',
    secretKey: sk,
    aggregateKey: ctx.aggregateKey(),
    dangerousExtraIn: null,
  });
  const det: DeterministicSignResult = bip.deterministicSign(sk, free.pubNonce, msg);
  const detPsig: Uint8Array = det.partialSig;
  bip.deterministicSign(sk, free.pubNonce, msg, new Uint8Array(32));
  const sig = schnorrSign('bip327', sk, msg);
  const valid: boolean = schnorrVerify('bip327', pk, msg, sig);

  const client = new MuSigClient({ relays: ['/ip4/127.0.0.1/tcp/1/ws/p2p/x'], connectTimeoutMs: 100 });
  const unsubscribe: () => void = client.on('direct', (e: MuSigEvent) => {
    if (e.type === 'direct') {
      const data: Uint8Array = e.data;
      void data;
    }
  });
  unsubscribe();
  client.on('transportSelected', (e: MuSigEvent) => {
    if (e.type === 'transportSelected') {
      const viaWebrtc: boolean = e.transports.includes('webrtc-direct') && e.webrtcAvailable;
      const skipped: string[] = e.skippedRelays;
      void [viaWebrtc, skipped, e.relays, e.reason];
    }
  });
  const pooled = new MuSigClient({ relays: ['/ip4/127.0.0.1/tcp/1/ws/p2p/x'], minRelays: 3 });
  pooled.on('relayLost', (e) => {
    const relay: string = e.relay;
    void relay;
  });
  client.on('messageRejected', (e: MuSigEvent) => {
    if (e.type === 'messageRejected') {
      const code: MessageRejectedCode = e.code;
      const blamed: string | null = e.signer;
      const skewed: boolean = e.code === 'clockSkew';
      void [code, blamed, skewed, e.from, e.reason];
    }
  });
  const chain = new Map<string, IdentityTier>();
  const verifying = new MuSigClient({
    relays: ['/ip4/127.0.0.1/tcp/1/ws/p2p/x'],
    identityVerifier: async (c: IdentityClaimCheck) => chain.get(c.registration.txid + c.publicKey) ?? 'unverified',
  });
  verifying.on('signerAdvertised', (e: MuSigEvent) => {
    if (e.type === 'signerAdvertised') {
      const tier: IdentityTier = e.tier;
      const key: Uint8Array = e.publicKey;
      const types: string[] = e.txTypes;
      const at: number = e.expiresAt;
      void [tier, key, types, at, e.txType, e.peerId];
    }
  });
  verifying.on('signerAdvertised', (e) => {
    const typed: MuSigEventOf<'signerAdvertised'> = e;
    const tier: IdentityTier = e.tier;
    void [typed, tier];
  });
  await verifying.advertise({ txTypes: ['spend'], lifetimeMs: 60000, identity: { registration: { txid: 'ab'.repeat(32), vout: 0 }, rotation: null } });
  await verifying.advertise({ txTypes: ['spend', 'swap'] });
  await verifying.watchSigners(['spend']);
  const known: KnownSigner[] = await verifying.knownSigners('spend');
  const found: Uint8Array[] = known.map((k) => k.publicKey);
  void found;
  await client.start();
  await client.sendDirect(client.circuitAddresses()[0] ?? '', new Uint8Array([1]));
  await client.debugStopAtPhase('partialSigCollection');
  // @ts-expect-error: not a SessionPhase
  await client.debugStopAtPhase('round2');
  const code: ErrorCode = 'NONCE_ALREADY_USED';
  void [scheme, ok, used, valid, code, plain, lotusNonce, detPsig];
}

export function wrongUse(): void {
  const pk = publicKey(generateSecretKey());
  // @ts-expect-error: an unknown scheme name
  new SigningContext('bip328', [pk], null);
  // @ts-expect-error: keys must be Uint8Arrays
  new SigningContext('lotus', ['02ab'], null);
  // @ts-expect-error: xOnly is required
  new SigningContext('bip327', [pk], null).applyTweak(new Uint8Array(32));
  // @ts-expect-error: a BIP-327 nonce needs the signer's public key
  nonceGen({ scheme: 'bip327', secretKey: pk });
  // @ts-expect-error: Lotus has no extraIn; its extra input is the dangerous test option
  nonceGen({ scheme: 'lotus', secretKey: pk, aggregateKey: pk, extraIn: pk });
  // @ts-expect-error: the random input is the dangerous option, not `rand`
  nonceGen({ scheme: 'bip327', publicKey: pk, rand: pk });
  // @ts-expect-error: the result has no secret nonce
  void new SigningContext('bip327', [pk], null).deterministicSign(pk, pk, pk).secNonce;
  new MuSigClient({ relays: [] }).on('transportSelected', (e: MuSigEvent) => {
    // @ts-expect-error: not a transport name
    if (e.type === 'transportSelected' && e.transports[0] === 'webtransport') return;
  });
  new MuSigClient({ relays: [] }).on('messageRejected', (e: MuSigEvent) => {
    // @ts-expect-error: not a rejection code
    if (e.type === 'messageRejected' && e.code === 'clockSkewed') return;
    // @ts-expect-error: the signer is a hex string, not bytes
    if (e.type === 'messageRejected' && e.signer instanceof Uint8Array) return;
  });
  // @ts-expect-error: an unknown event name
  new MuSigClient({ relays: [] }).on('noSuchEvent', () => {});
  // @ts-expect-error: a verifier answers a tier name
  new MuSigClient({ relays: [], identityVerifier: async () => 'trusted' });
  // @ts-expect-error: the transaction types are required
  void new MuSigClient({ relays: [] }).advertise({ lifetimeMs: 5 });
  // @ts-expect-error: a vout is a number
  void new MuSigClient({ relays: [] }).advertise({ txTypes: ['spend'], identity: { registration: { txid: '', vout: '0' } } });
  new MuSigClient({ relays: [] }).on('signerAdvertised', (e) => {
    // @ts-expect-error: the per-event callback has no fields of other events
    void e.sessionId;
  });
  // @ts-expect-error: relays are required
  new MuSigClient({ connectTimeoutMs: 5 });
  // @ts-expect-error: not an error code
  const code: ErrorCode = 'SOMETHING_ELSE';
  void code;
}
