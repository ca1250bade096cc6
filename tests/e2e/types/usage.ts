// Type-level tests of the package's TypeScript declarations: correct use must compile and
// every `@ts-expect-error` line must be an error (tsc fails if a type is too loose).
import init, {
  MuSigClient,
  SigningContext,
  generateSecretKey,
  publicKey,
  schnorrSign,
  schnorrVerify,
  type MuSigEvent,
  type NonceGenResult,
  type ErrorCode,
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
  await client.start();
  await client.sendDirect(client.circuitAddresses()[0] ?? '', new Uint8Array([1]));
  const code: ErrorCode = 'NONCE_ALREADY_USED';
  void [scheme, ok, used, valid, code];
}

export function wrongUse(): void {
  const pk = publicKey(generateSecretKey());
  // @ts-expect-error: an unknown scheme name
  new SigningContext('bip328', [pk], null);
  // @ts-expect-error: keys must be Uint8Arrays
  new SigningContext('lotus', ['02ab'], null);
  // @ts-expect-error: an unknown event name
  new MuSigClient({ relays: [] }).on('noSuchEvent', () => {});
  // @ts-expect-error: relays are required
  new MuSigClient({ connectTimeoutMs: 5 });
  // @ts-expect-error: not an error code
  const code: ErrorCode = 'SOMETHING_ELSE';
  void code;
}
