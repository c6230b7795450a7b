/**
 * A software passkey for the workerd tests: a P-256 key made with WebCrypto, and the bytes a
 * browser and authenticator would send (client data, authenticator data, a `none` attestation in
 * CBOR, a DER signature). It encodes only what the worker's library decodes, so a mistake in
 * either side shows as a refused registration or sign-in.
 */

const enc = new TextEncoder()

export function b64url(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function fromB64url(text: string): Uint8Array {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0))
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** CBOR head: major type and argument (RFC 8949 §3). */
function head(major: number, n: number): Uint8Array {
  if (n < 24) return Uint8Array.of((major << 5) | n)
  if (n < 256) return Uint8Array.of((major << 5) | 24, n)
  return Uint8Array.of((major << 5) | 25, n >> 8, n & 255)
}

type Cbor = number | string | Uint8Array | Map<number | string, Cbor>

/** The few CBOR items an attestation object and a COSE key need. */
function cbor(value: Cbor): Uint8Array {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value)
  if (typeof value === 'string') {
    const bytes = enc.encode(value)
    return concat(head(3, bytes.length), bytes)
  }
  if (value instanceof Uint8Array) return concat(head(2, value.length), value)
  const parts: Uint8Array[] = [head(5, value.size)]
  for (const [k, v] of value) parts.push(cbor(k), cbor(v))
  return concat(...parts)
}

/** Raw r||s (WebCrypto) to the DER SEQUENCE a WebAuthn authenticator sends. */
function derSignature(raw: Uint8Array): Uint8Array {
  const int = (bytes: Uint8Array) => {
    let i = 0
    while (i < bytes.length - 1 && bytes[i] === 0) i++
    let v = bytes.slice(i)
    if ((v[0] ?? 0) & 0x80) v = concat(Uint8Array.of(0), v)
    return concat(Uint8Array.of(0x02, v.length), v)
  }
  const body = concat(int(raw.slice(0, 32)), int(raw.slice(32)))
  return concat(Uint8Array.of(0x30, body.length), body)
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
}

export interface Assertion {
  credentialId: string
  authenticatorData: string
  clientDataJSON: string
  signature: string
  userHandle: null
}

/** One software authenticator holding one passkey. */
export class SoftPasskey {
  counter = 0
  readonly credentialId = crypto.getRandomValues(new Uint8Array(16))

  private constructor(private readonly keys: CryptoKeyPair) {}

  /**
   * A passkey whose public key's y coordinate starts with a zero byte, as about one in 256 real
   * ones does (each try is a new random key; 4,000 tries miss with odds of about 1 in 6·10^6).
   */
  static async createWithLeadingZeroY(): Promise<SoftPasskey> {
    for (let i = 0; i < 4_000; i++) {
      const key = await SoftPasskey.create()
      const jwk = (await crypto.subtle.exportKey('jwk', key.keys.publicKey)) as JsonWebKey
      if (fromB64url(jwk.y ?? '')[0] === 0) return key
    }
    throw new Error('no key with a leading zero byte in y after 4,000 tries')
  }

  static async create(): Promise<SoftPasskey> {
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair
    return new SoftPasskey(keys)
  }

  private clientData(type: 'create' | 'get', challenge: string, origin: string): Uint8Array {
    return enc.encode(
      JSON.stringify({ type: `webauthn.${type}`, challenge, origin, crossOrigin: false }),
    )
  }

  private async authData(rpId: string, attested: Uint8Array | null): Promise<Uint8Array> {
    const flags = 0x01 | 0x04 | (attested ? 0x40 : 0) // user present, user verified, attested
    const count = Uint8Array.of(
      (this.counter >>> 24) & 255,
      (this.counter >>> 16) & 255,
      (this.counter >>> 8) & 255,
      this.counter & 255,
    )
    return concat(
      await sha256(enc.encode(rpId)),
      Uint8Array.of(flags),
      count,
      attested ?? new Uint8Array(),
    )
  }

  /** What navigator.credentials.create() would send back for `challenge`. */
  async register(challenge: string, origin: string, rpId: string) {
    const jwk = (await crypto.subtle.exportKey('jwk', this.keys.publicKey)) as JsonWebKey
    const coseKey = cbor(
      new Map<number, Cbor>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, fromB64url(jwk.x ?? '')],
        [-3, fromB64url(jwk.y ?? '')],
      ]),
    )
    const attested = concat(
      new Uint8Array(16), // AAGUID
      Uint8Array.of(this.credentialId.length >> 8, this.credentialId.length & 255),
      this.credentialId,
      coseKey,
    )
    const authData = await this.authData(rpId, attested)
    const attestationObject = cbor(
      new Map<string, Cbor>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    )
    return {
      attestationObject: b64url(attestationObject),
      clientDataJSON: b64url(this.clientData('create', challenge, origin)),
    }
  }

  /** What navigator.credentials.get() would send back; the counter moves first. */
  async sign(challenge: string, origin: string, rpId: string): Promise<Assertion> {
    this.counter += 1
    const authenticatorData = await this.authData(rpId, null)
    const clientDataJSON = this.clientData('get', challenge, origin)
    const raw = new Uint8Array(
      await crypto.subtle.sign(
        { name: 'ECDSA', hash: 'SHA-256' },
        this.keys.privateKey,
        concat(authenticatorData, await sha256(clientDataJSON)),
      ),
    )
    return {
      credentialId: b64url(this.credentialId),
      authenticatorData: b64url(authenticatorData),
      clientDataJSON: b64url(clientDataJSON),
      signature: b64url(derSignature(raw)),
      userHandle: null,
    }
  }
}
