/**
 * What the hand-written checks of config.ts and the schemas of config-schema.ts both need, in a
 * module of its own so neither imports the other (config.ts runs at start and must not load zod).
 */

/** A host that is this machine: the only one the dashboard URL may name with plain http. */
export const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/
