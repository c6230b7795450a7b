declare const __PGD_RUNNER_VERSION__: string | undefined

/** Set by the bundler from package.json; `dev` when run from source. */
export const RUNNER_VERSION =
  typeof __PGD_RUNNER_VERSION__ === 'string' ? __PGD_RUNNER_VERSION__ : '0.0.0-dev'
