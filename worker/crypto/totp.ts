import { decodeBase32IgnorePadding, encodeBase32UpperCaseNoPadding } from '@oslojs/encoding'
import { createTOTPKeyURI, generateHOTP } from '@oslojs/otp'
import { renderSVG } from 'uqr'
import { constantTimeEqual, randomCode, sha256Hex } from './tokens'

/**
 * TOTP (RFC 6238: HMAC-SHA-1, 30-second steps, 6 digits, what every authenticator app does), on
 * oslo's HOTP. The step a code matched is returned so the caller can refuse its replay.
 */
export const TOTP_PERIOD_S = 30
const DIGITS = 6
/** Steps accepted either side of now: the clock of a phone drifts, people type slowly. */
export const TOTP_WINDOW = 1

export function newTotpSecret(): string {
  return encodeBase32UpperCaseNoPadding(crypto.getRandomValues(new Uint8Array(20)))
}

export function currentStep(now: number): number {
  return Math.floor(now / 1000 / TOTP_PERIOD_S)
}

/** The step `code` is valid for within ±TOTP_WINDOW of `now`, or null. */
export function matchTotp(secret: string, code: string, now: number): number | null {
  const wanted = new TextEncoder().encode(code.replace(/\s+/g, ''))
  if (wanted.length !== DIGITS) return null
  const key = decodeBase32IgnorePadding(secret)
  const step = currentStep(now)
  let matched: number | null = null
  // Every candidate is computed and compared: no early exit that would time which one matched.
  for (let s = step - TOTP_WINDOW; s <= step + TOTP_WINDOW; s++) {
    const candidate = new TextEncoder().encode(generateHOTP(key, BigInt(s), DIGITS))
    if (constantTimeEqual(candidate, wanted) && matched === null) matched = s
  }
  return matched
}

/** What an authenticator app scans: the otpauth URI, and a QR code of it as SVG. */
export function enrolment(secret: string, account: string) {
  const uri = createTOTPKeyURI(
    'Proxmox Game Deployer',
    account,
    decodeBase32IgnorePadding(secret),
    TOTP_PERIOD_S,
    DIGITS,
  )
  return { uri, qrSvg: renderSVG(uri, { border: 2 }) }
}

/** Ten recovery codes as the person writes them down, and their hashes for storage. */
export async function newRecoveryCodes(): Promise<{ codes: string[]; hashes: string[] }> {
  const codes = Array.from({ length: 10 }, () => {
    const raw = randomCode(10).toUpperCase()
    return `${raw.slice(0, 5)}-${raw.slice(5)}`
  })
  return { codes, hashes: await Promise.all(codes.map(hashRecoveryCode)) }
}

/** Recovery codes compare without case, dashes or spaces. */
export function hashRecoveryCode(code: string): Promise<string> {
  return sha256Hex(`recovery:${code.replace(/[\s-]+/g, '').toUpperCase()}`)
}
