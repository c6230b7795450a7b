/**
 * The browser side of passkeys: turn the worker's options (binary as base64url) into
 * navigator.credentials calls, and the authenticator's answer back into base64url fields.
 */

function toBytes(text: string): Uint8Array<ArrayBuffer> {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0))
}

function toText(buffer: ArrayBuffer): string {
  let s = ''
  for (const b of new Uint8Array(buffer)) s += String.fromCharCode(b)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Whether this browser can use passkeys at all. */
export function passkeysSupported(): boolean {
  return typeof window !== 'undefined' && 'PublicKeyCredential' in window
}

/** The person closed the browser's dialog (or it timed out): not an error to show loudly. */
export class PasskeyCancelled extends Error {}

async function ask<T>(run: () => Promise<T | null>): Promise<T> {
  try {
    const result = await run()
    if (!result) throw new PasskeyCancelled('cancelled')
    return result
  } catch (err) {
    if (err instanceof DOMException && err.name === 'NotAllowedError') {
      throw new PasskeyCancelled(err.message)
    }
    throw err
  }
}

export interface RegistrationOptions {
  challenge: string
  rpId: string
  rpName: string
  timeout: number
  user: { id: string; name: string }
  algorithms: readonly number[]
  excludeCredentials: string[]
}

/** Make a new discoverable passkey on this device; the fields the worker's register route takes. */
export async function createPasskey(o: RegistrationOptions) {
  const credential = await ask(
    () =>
      navigator.credentials.create({
        publicKey: {
          challenge: toBytes(o.challenge),
          rp: { id: o.rpId, name: o.rpName },
          user: { id: toBytes(o.user.id), name: o.user.name, displayName: o.user.name },
          pubKeyCredParams: o.algorithms.map((alg) => ({ type: 'public-key' as const, alg })),
          excludeCredentials: o.excludeCredentials.map((id) => ({
            type: 'public-key' as const,
            id: toBytes(id),
          })),
          authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
          attestation: 'none',
          timeout: o.timeout,
        },
      }) as Promise<PublicKeyCredential | null>,
  )
  const response = credential.response as AuthenticatorAttestationResponse
  return {
    attestationObject: toText(response.attestationObject),
    clientDataJSON: toText(response.clientDataJSON),
  }
}

export interface AssertionOptions {
  challenge: string
  rpId: string
  timeout: number
  allowCredentials?: string[]
}

/** Sign the challenge with a passkey of this device; the fields the worker's check takes. */
export async function signWithPasskey(
  o: AssertionOptions,
  userVerification: 'required' | 'preferred',
) {
  const credential = await ask(
    () =>
      navigator.credentials.get({
        publicKey: {
          challenge: toBytes(o.challenge),
          rpId: o.rpId,
          timeout: o.timeout,
          userVerification,
          allowCredentials: (o.allowCredentials ?? []).map((id) => ({
            type: 'public-key' as const,
            id: toBytes(id),
          })),
        },
      }) as Promise<PublicKeyCredential | null>,
  )
  const response = credential.response as AuthenticatorAssertionResponse
  return {
    credentialId: toText(credential.rawId),
    authenticatorData: toText(response.authenticatorData),
    clientDataJSON: toText(response.clientDataJSON),
    signature: toText(response.signature),
    userHandle: response.userHandle ? toText(response.userHandle) : null,
  }
}
