/**
 * How a runner gets installed and registered: one source for the dashboard's "Add runner"
 * screen, the API's answer and the docs, so they never disagree. Two ways, the same result —
 * the bundle in /opt/pgd-runner, its key in /var/lib/pgd-runner (the unit's state directory),
 * the hardened `pgd-runner.service` running it:
 * - with Ansible, from a clone of the repository (`ansible/install_runner.yml`), recommended;
 * - by hand on a Debian or Ubuntu host, the same steps the playbook takes.
 */

/** Where the playbook and the unit put things; the unit (runner/systemd) expects these. */
export const RUNNER_INSTALL_DIR = '/opt/pgd-runner'
export const RUNNER_STATE_DIR = '/var/lib/pgd-runner'

/** Shell-quotes a value for a POSIX shell, unless it is plainly safe. */
function q(value: string): string {
  return /^[A-Za-z0-9_./:@=,+-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`
}

/**
 * An Ansible extra var on the command line: `key=value` when the value has nothing Ansible's
 * key=value parser would split on, else a JSON object (a name may hold spaces), shell-quoted.
 */
function extraVar(key: string, value: string): string {
  return /^[A-Za-z0-9_./:@,+-]+$/.test(value)
    ? `-e ${key}=${value}`
    : `-e ${q(JSON.stringify({ [key]: value }))}`
}

export interface RunnerInstall {
  /** One line, run from a clone of the repository after `npm run build:runner`. */
  ansible: string
  /** The by-hand path on a Debian/Ubuntu host, one command a line, in order. */
  manual: string[]
}

/**
 * The commands that install a runner named `name` and register it with the one-time `code` on
 * the dashboard at `server`. Every value is shell-quoted: a runner name is free text.
 */
export function runnerInstallCommands(server: string, code: string, name: string): RunnerInstall {
  const register = [
    `sudo -u pgd-runner node ${RUNNER_INSTALL_DIR}/pgd-runner.mjs register`,
    `--server ${q(server)} --code ${q(code)} --name ${q(name)} --state-dir ${RUNNER_STATE_DIR}`,
  ].join(' ')
  return {
    ansible: [
      `ansible-playbook -i 'runner.lan,' ansible/install_runner.yml`,
      extraVar('pgd_server', server),
      extraVar('pgd_code', code),
      extraVar('pgd_runner_name', name),
    ].join(' '),
    manual: [
      '# On the runner host (Debian 12/13 or Ubuntu), as an admin; Node.js 22 or newer first:',
      'sudo apt-get install -y ansible openssh-client ca-certificates',
      'sudo useradd --system --home-dir /var/lib/pgd-runner --shell /usr/sbin/nologin pgd-runner',
      `sudo install -d -m 0755 ${RUNNER_INSTALL_DIR} /etc/pgd-runner`,
      `sudo install -d -o pgd-runner -g pgd-runner -m 0700 ${RUNNER_STATE_DIR}`,
      '# From a clone of the repository on this host, after npm run build:runner:',
      `sudo cp -r dist/runner/. ${RUNNER_INSTALL_DIR}/`,
      'sudo cp runner/systemd/pgd-runner.service /etc/systemd/system/',
      register,
      'sudo systemctl daemon-reload && sudo systemctl enable --now pgd-runner',
    ],
  }
}
