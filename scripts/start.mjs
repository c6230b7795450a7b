// `npm start`: the whole local stack in one command. Creates a local APP_ENC_KEY if missing,
// builds the dashboard, applies D1 migrations to the local database, then runs `wrangler dev`
// (workerd with local D1 and Durable Objects) on http://localhost:8787.
//
// Options: --port N (default 8787), --persist-to DIR (default .wrangler/state), --skip-build,
// --var NAME:VALUE (repeatable).
import { spawnSync, spawn } from 'node:child_process'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8787' },
    'persist-to': { type: 'string' },
    'skip-build': { type: 'boolean', default: false },
    /** NAME:VALUE, passed to wrangler dev as --var (e.g. TARGET_MODE:demo). */
    var: { type: 'string', multiple: true, default: [] },
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
run('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', ...persist])
const dev = spawn(
  'npx',
  [
    'wrangler',
    'dev',
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
