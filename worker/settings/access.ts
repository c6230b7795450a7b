import * as z from 'zod'
import { readSetting, writeSetting } from '../db/settings'

/** A Cloudflare Access team domain: `https://<team>.cloudflareaccess.com`, nothing after it. */
const TEAM_DOMAIN = /^https:\/\/[a-z0-9][a-z0-9-]{0,62}\.cloudflareaccess\.com$/

/**
 * Settings → Sign-in → Cloudflare Access (owner's to make). When `enabled`, every API request but
 * the runner's and API tokens' must carry a valid Access token (worker/http/cloudflare-access.ts).
 */
export const AccessSettings = z
  .object({
    enabled: z.boolean({ error: 'must be true or false' }),
    teamDomain: z
      .string({ error: 'must be text' })
      .trim()
      .toLowerCase()
      .transform((s) => s.replace(/\/+$/, ''))
      .refine((s) => s === '' || TEAM_DOMAIN.test(s), {
        message: 'must look like https://<team>.cloudflareaccess.com',
      })
      .default(''),
    /** The application's audience tag (AUD), from its page in Cloudflare Zero Trust. */
    audience: z
      .string({ error: 'must be text' })
      .trim()
      .max(128, 'must be at most 128 characters')
      .regex(/^[A-Za-z0-9]*$/, 'must be letters and digits only (copy the AUD tag as shown)')
      .default(''),
    /** Whether the password sign-in form still works while Access is on. */
    passwordSignIn: z.boolean({ error: 'must be true or false' }).default(true),
  })
  .superRefine((s, ctx) => {
    if (!s.enabled) {
      if (!s.passwordSignIn)
        ctx.addIssue({
          code: 'custom',
          path: ['passwordSignIn'],
          message: 'can only be turned off while Cloudflare Access is on',
        })
      return
    }
    if (s.teamDomain === '')
      ctx.addIssue({ code: 'custom', path: ['teamDomain'], message: 'is required' })
    if (s.audience === '')
      ctx.addIssue({ code: 'custom', path: ['audience'], message: 'is required' })
  })
export type AccessSettings = z.infer<typeof AccessSettings>

export const ACCESS_OFF: AccessSettings = {
  enabled: false,
  teamDomain: '',
  audience: '',
  passwordSignIn: true,
}

const KEY = 'access'

export async function readAccessSettings(db: D1Database): Promise<AccessSettings> {
  const raw = await readSetting(db, KEY)
  const parsed = raw ? AccessSettings.safeParse(JSON.parse(raw)) : null
  return parsed?.success ? parsed.data : ACCESS_OFF
}

export async function writeAccessSettings(
  db: D1Database,
  settings: AccessSettings,
  by: string,
): Promise<void> {
  await writeSetting(db, KEY, JSON.stringify(settings), by)
}
