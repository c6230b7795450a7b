import {
  decodePKIXECDSASignature,
  decodeSEC1PublicKey,
  p256,
  verifyECDSASignature,
} from '@oslojs/crypto/ecdsa'
import {
  decodePKCS1RSAPublicKey,
  sha256ObjectIdentifier,
  verifyRSASSAPKCS1v15Signature,
} from '@oslojs/crypto/rsa'
import { RSAPublicKey } from '@oslojs/crypto/rsa'
import { sha256 } from '@oslojs/crypto/sha2'
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from '@oslojs/encoding'
import {
  ClientDataType,
  coseAlgorithmES256,
  coseAlgorithmRS256,
  COSEKeyType,
  coseEllipticCurveP256,
  createAssertionSignatureMessage,
  parseAttestationObject,
  parseAuthenticatorData,
  parseClientDataJSON,
  type ClientData,
} from '@oslojs/webauthn'

/**
 * WebAuthn (passkeys) on top of oslo's parsers: the CBOR, COSE and authenticator-data formats are
 * theirs; what is checked, and in which order, is ours. Only public keys are ever stored; the
 * challenge is checked by the caller against its single-use server-side copy (db/passkeys.ts).
 */

/** Algorithms offered to the browser, in order of preference: ES256, then RS256 (Windows Hello). */
export const SUPPORTED_ALGORITHMS = [coseAlgorithmES256, coseAlgorithmRS256] as const

/** A refusal, in words the person (or the test) can act on. */
export class WebAuthnError extends Error {}

/** Where the ceremony must have happened: the dashboard's own origin and host name. */
export interface RelyingParty {
  origin: string
  id: string
}

/** The relying party for a request: the origin the browser used, and its host name as RP ID. */
export function relyingPartyOf(url: string): RelyingParty {
  const u = new URL(url)
  return { origin: u.origin, id: u.hostname }
}

const b64url = (bytes: Uint8Array) => encodeBase64urlNoPadding(bytes)

/** Bytes from base64url text sent by the browser, or a WebAuthnError naming the field. */
export function fromB64url(text: string, field: string): Uint8Array {
  try {
    return decodeBase64urlIgnorePadding(text)
  } catch {
    throw new WebAuthnError(`${field} is not base64url`)
  }
}

/**
 * Parse the client data and check its type and origin. Returns it with the challenge the browser
 * signed, for the caller to spend against the server's copy.
 */
export function checkClientData(
  clientDataJSON: Uint8Array,
  type: 'create' | 'get',
  rp: RelyingParty,
): ClientData {
  let data: ClientData
  try {
    data = parseClientDataJSON(clientDataJSON)
  } catch {
    throw new WebAuthnError('clientDataJSON is not valid client data')
  }
  if (data.type !== (type === 'create' ? ClientDataType.Create : ClientDataType.Get)) {
    throw new WebAuthnError(`clientDataJSON is not a webauthn.${type} response`)
  }
  if (data.origin !== rp.origin) {
    throw new WebAuthnError(`the passkey was used on ${data.origin}, not on ${rp.origin}`)
  }
  if (data.crossOrigin === true) throw new WebAuthnError('the passkey was used in another frame')
  return data
}

/** The challenge's key in the server-side store (its SHA-256, hex). */
export function challengeKey(challenge: Uint8Array): string {
  return [...sha256(challenge)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** A new random challenge: 32 bytes, base64url for the browser. */
export function newChallenge(): { challenge: string; key: string } {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return { challenge: b64url(bytes), key: challengeKey(bytes) }
}

/** An unsigned integer as exactly `size` big-endian bytes. */
function fixedBytes(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size)
  let v = value
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

/**
 * A P-256 public key as SEC1 uncompressed bytes: 0x04, then x and y each as 32 bytes. Written
 * here, not with @oslojs/crypto's encodeSEC1Uncompressed (1.0.1), which right-aligns x but
 * left-aligns y: for the one key in 256 whose y starts with a zero byte it stored another key,
 * and that passkey's every signature was refused.
 */
function sec1Uncompressed(x: bigint, y: bigint): Uint8Array {
  const out = new Uint8Array(65)
  out[0] = 0x04
  out.set(fixedBytes(x, 32), 1)
  out.set(fixedBytes(y, 32), 33)
  return out
}

/**
 * The key a registration made before that fix meant, when the stored one may be its misencoding:
 * y was written one byte early (its leading zero dropped, a zero byte last). Null when the stored
 * key cannot be one (not an uncompressed P-256 key ending in a zero byte).
 */
function repairedSec1(stored: Uint8Array): Uint8Array | null {
  if (stored.length !== 65 || stored[0] !== 0x04 || stored[64] !== 0) return null
  const out = new Uint8Array(65)
  out.set(stored.subarray(0, 33))
  out.set(stored.subarray(33, 64), 34)
  return out
}

/** A credential ready to store, from a verified registration. */
export interface NewCredential {
  credentialId: string
  algorithm: number
  publicKey: string
  counter: number
}

/**
 * Check a registration's attestation object (format `none` is what we ask for; any statement is
 * ignored: we do not decide which authenticator makers to trust) and take its credential.
 */
export function verifyRegistration(attestationObject: Uint8Array, rp: RelyingParty): NewCredential {
  let authData
  try {
    authData = parseAttestationObject(attestationObject).authenticatorData
  } catch {
    throw new WebAuthnError('attestationObject is not a valid attestation object')
  }
  if (!authData.verifyRelyingPartyIdHash(rp.id)) {
    throw new WebAuthnError(`the passkey was made for another site than ${rp.id}`)
  }
  if (!authData.userPresent) throw new WebAuthnError('the authenticator saw no user presence')
  const credential = authData.credential
  if (!credential) throw new WebAuthnError('the attestation carries no credential')
  const key = credential.publicKey
  let algorithm: number
  let publicKey: Uint8Array
  try {
    algorithm = key.algorithm()
    if (algorithm === coseAlgorithmES256 && key.type() === COSEKeyType.EC2) {
      const ec = key.ec2()
      if (ec.curve !== coseEllipticCurveP256) throw new WebAuthnError('ES256 key not on P-256')
      publicKey = sec1Uncompressed(ec.x, ec.y)
    } else if (algorithm === coseAlgorithmRS256 && key.type() === COSEKeyType.RSA) {
      const rsa = key.rsa()
      publicKey = new RSAPublicKey(rsa.n, rsa.e).encodePKCS1()
    } else {
      throw new WebAuthnError('the passkey uses an algorithm other than ES256 or RS256')
    }
  } catch (err) {
    if (err instanceof WebAuthnError) throw err
    throw new WebAuthnError('the passkey public key is not a valid COSE key')
  }
  return {
    credentialId: b64url(credential.id),
    algorithm,
    publicKey: b64url(publicKey),
    counter: authData.signatureCounter,
  }
}

/** A stored credential, as verifyAssertion needs it. */
export interface StoredCredential {
  algorithm: number
  publicKey: string
  counter: number
}

/**
 * Check an assertion (sign-in or second factor) against a stored credential: the RP ID hash, user
 * presence (and verification when the passkey stands in for the password too), the signature
 * over authenticator data + client data hash, and a counter that moved forward. Returns the new
 * counter to store, and the public key to store instead when the stored one was misencoded.
 */
export function verifyAssertion(
  input: { authenticatorData: Uint8Array; clientDataJSON: Uint8Array; signature: Uint8Array },
  stored: StoredCredential,
  rp: RelyingParty,
  options: { userVerification: boolean },
): { counter: number; publicKey?: string } {
  let authData
  try {
    authData = parseAuthenticatorData(input.authenticatorData)
  } catch {
    throw new WebAuthnError('authenticatorData is not valid authenticator data')
  }
  if (!authData.verifyRelyingPartyIdHash(rp.id)) {
    throw new WebAuthnError(`the passkey answered for another site than ${rp.id}`)
  }
  if (!authData.userPresent) throw new WebAuthnError('the authenticator saw no user presence')
  if (options.userVerification && !authData.userVerified) {
    throw new WebAuthnError('the authenticator did not verify the user (PIN or biometrics)')
  }
  const hash = sha256(
    createAssertionSignatureMessage(input.authenticatorData, input.clientDataJSON),
  )
  const verifies = (key: Uint8Array): boolean => {
    try {
      if (stored.algorithm === coseAlgorithmES256) {
        return verifyECDSASignature(
          decodeSEC1PublicKey(p256, key),
          hash,
          decodePKIXECDSASignature(input.signature),
        )
      }
      if (stored.algorithm === coseAlgorithmRS256) {
        return verifyRSASSAPKCS1v15Signature(
          decodePKCS1RSAPublicKey(key),
          sha256ObjectIdentifier,
          hash,
          input.signature,
        )
      }
    } catch {
      // A key or signature that does not decode verifies nothing.
    }
    return false
  }
  const key = fromB64url(stored.publicKey, 'publicKey')
  let publicKey: string | undefined
  if (!verifies(key)) {
    // A passkey registered before the SEC1 fix: the signature tells whether the repaired key is
    // the one the authenticator holds (the caller then stores it).
    const repaired = stored.algorithm === coseAlgorithmES256 ? repairedSec1(key) : null
    if (!repaired || !verifies(repaired)) {
      throw new WebAuthnError('the signature does not match the passkey')
    }
    publicKey = b64url(repaired)
  }
  // Authenticators that keep no counter send 0 every time; any other must count up.
  const counter = authData.signatureCounter
  if ((counter !== 0 || stored.counter !== 0) && counter <= stored.counter) {
    throw new WebAuthnError('the passkey counter went backwards: it may have been copied')
  }
  return publicKey === undefined ? { counter } : { counter, publicKey }
}
