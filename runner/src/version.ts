declare const __PGD_RUNNER_VERSION__: string | undefined

/** Set by the bundler from package.json; `dev` when run from source. */
export const RUNNER_VERSION =
  typeof __PGD_RUNNER_VERSION__ === 'string' ? __PGD_RUNNER_VERSION__ : '0.0.0-dev'

/**
 * How the runner names itself to the services it asks (Mojang's and Paper's lists, the profile
 * lookup): Paper asks for a User-Agent naming the software and where to reach its makers.
 */
export const USER_AGENT = `proxmox-game-deployer/${RUNNER_VERSION} (+https://github.com/proxmox-game-deployer)`
