// `npm start`: the whole local stack in one command. Creates a local APP_ENC_KEY and SETUP_CODE
// if missing, builds the dashboard, applies D1 migrations to the local database, then runs
// `wrangler dev` (workerd with local D1 and Durable Objects) on http://localhost:8787, and prints
// the setup code while the first admin account is still to be created.
//
// Options: --port N (default 8787), --persist-to DIR (default .wrangler/state), --skip-build,
// --skip-migrations (the state folder's database is already migrated: the tests copy one in),
// --var NAME:VALUE (repeatable), --script FILE (another entry point than wrangler.toml's).
import { spawnSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8787' },
    'persist-to': { type: 'string' },
    'skip-build': { type: 'boolean', default: false },
    'skip-migrations': { type: 'boolean', default: false },
    /** NAME:VALUE, passed to wrangler dev as --var (e.g. TARGET_MODE:demo). */
    var: { type: 'string', multiple: true, default: [] },
    /** Another entry point than wrangler.toml's `main` (the bench's baseline worker). */
    script: { type: 'string' },
  },
})

// wrangler would otherwise try to reach Cloudflare for `Request.cf` and telemetry; locally
// there is nothing to gain from either.
const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' }
const persist = values['persist-to'] ? ['--persist-to', values['persist-to']] : []
const vars = values.var.flatMap((v) => ['--var', v])

function run(cmd, args) {
  const res = spawnSync(cmd, args, { stdio: 'inherit', env })
  if (res.status !== 0) process.exit(res.status ?? 1)
}

run(process.execPath, ['scripts/ensure-dev-vars.mjs'])
if (!values['skip-build']) run('npm', ['run', '--silent', 'build:web'])
if (!values['skip-migrations'])
  run('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', ...persist])
const dev = spawn(
  'npx',
  [
    'wrangler',
    'dev',
    ...(values.script ? [values.script] : []),
    '--ip',
    '127.0.0.1',
    '--port',
    values.port,
    '--show-interactive-dev-session=false',
    ...persist,
    ...vars,
  ],
  { stdio: 'inherit', env },
)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => dev.kill(signal))
dev.on('exit', (code) => process.exit(code ?? 0))

/** The SETUP_CODE the worker runs with: a --var wins over .dev.vars. */
function setupCode() {
  const given = values.var.find((v) => v.startsWith('SETUP_CODE:'))
  if (given) return given.slice('SETUP_CODE:'.length)
  const devVars = readFileSync(new URL('../.dev.vars', import.meta.url), 'utf8')
  return /^SETUP_CODE=(.*)$/m.exec(devVars)?.[1]?.trim() ?? ''
}

/**
 * Once the dashboard answers, print the setup code if the admin account is still to be created
 * (the wizard's first screen asks for it). Bounded: two minutes, then it gives up quietly.
 */
async function announceSetupCode() {
  const base = `http://127.0.0.1:${values.port}`
  for (let i = 0; i < 240 && dev.exitCode === null; i++) {
    const setup = await fetch(`${base}/api/setup`).then(
      (r) => (r.ok ? r.json() : null),
      () => null,
    )
    if (setup) {
      if (setup.needed && setup.codeSource === 'secret') {
        console.log(
          `\nFirst-run setup: open http://localhost:${values.port} and enter the setup code ${setupCode()}\n`,
        )
      }
      return
    }
    await new Promise((r) => setTimeout(r, 500))
  }
}
void announceSetupCode()
