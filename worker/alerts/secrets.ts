import type { AlertChannelKind } from '../../core/alerts'
import { decryptSecret, encryptSecret, SECRET_CONTEXTS, type EncKeys } from '../crypto/seal'
import { maskWebhookUrl, validateWebhookUrl } from './url'
import { newSigningSecret } from './sign'

/** A channel's secrets as stored: both sealed, bound to the channel's id. */
export interface SealedChannelSecrets {
  urlEnc: string
  /** Null for Discord: its URL carries its own token and Discord checks nothing else. */
  signingSecretEnc: string | null
  /** What the dashboard shows of the URL (host and last 4 characters). */
  urlHint: string
}

/**
 * Validate and seal a channel's URL and (generic webhook) signing secret. Both are bound to the
 * channel id as the sealing subject: a sealed URL copied onto another channel does not open.
 * Returns the signing secret in clear once, when it was generated, so the admin can copy it.
 */
export async function sealChannelSecrets(
  env: Env,
  keys: EncKeys,
  channelId: string,
  kind: AlertChannelKind,
  url: string,
  signingSecret: string | null,
): Promise<{ sealed: SealedChannelSecrets; generatedSecret: string | null }> {
  const checked = validateWebhookUrl(kind, url, env).toString()
  const generatedSecret = kind === 'webhook' && !signingSecret ? newSigningSecret() : null
  const secret = kind === 'webhook' ? (signingSecret ?? generatedSecret) : null
  return {
    sealed: {
      urlEnc: await encryptSecret(keys, checked, SECRET_CONTEXTS.alertWebhookUrl, channelId),
      signingSecretEnc: secret
        ? await encryptSecret(keys, secret, SECRET_CONTEXTS.alertSigningSecret, channelId)
        : null,
      urlHint: maskWebhookUrl(checked),
    },
    generatedSecret,
  }
}

/** Open a channel's secrets for one delivery; they never leave the worker. */
export async function openChannelSecrets(
  keys: EncKeys,
  channelId: string,
  sealed: SealedChannelSecrets,
): Promise<{ url: string; signingSecret: string | null }> {
  return {
    url: await decryptSecret(keys, sealed.urlEnc, SECRET_CONTEXTS.alertWebhookUrl, channelId),
    signingSecret: sealed.signingSecretEnc
      ? await decryptSecret(
          keys,
          sealed.signingSecretEnc,
          SECRET_CONTEXTS.alertSigningSecret,
          channelId,
        )
      : null,
  }
}
