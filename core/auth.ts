import * as z from 'zod'

/** Rules for the admin account, shared by the API and the setup/login forms. */
export const MIN_PASSWORD_LENGTH = 12

export const Username = z
  .string()
  .trim()
  .min(3, 'must be at least 3 characters')
  .max(64, 'must be at most 64 characters')
  .regex(/^[a-zA-Z0-9._@-]+$/, 'may contain letters, digits, dot, dash, underscore and @ only')
  .transform((s) => s.toLowerCase())

export const Password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(1024, 'must be at most 1024 characters')

export const SetupBody = z.object({ username: Username, password: Password })
export type SetupBody = z.infer<typeof SetupBody>

/** Login accepts any password shape: a wrong one is just wrong, not "invalid". */
export const LoginBody = z.object({
  username: z
    .string()
    .trim()
    .min(1, 'is required')
    .max(64)
    .transform((s) => s.toLowerCase()),
  password: z.string().min(1, 'is required').max(1024),
})
export type LoginBody = z.infer<typeof LoginBody>
