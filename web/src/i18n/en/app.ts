/** English — The shell: sign-in, navigation, encryption key, audit log and words used everywhere. */
export const enApp = {
  appName: 'Proxmox Game Deployer',
  simulatorBanner:
    'Demo: this dashboard deploys to a local Proxmox simulator, not a real cluster. The VMs are simulated.',
  loading: 'Loading…',
  skipToContent: 'Skip to content',
  mainNav: 'Main',
  signIn: 'Sign in',
  signOut: 'Sign out',
  username: 'Username',
  password: 'Password',
  passwordHint: 'At least 12 characters.',
  setupTitle: 'Create the admin account',
  setupIntro:
    'This is the first visit: create the account that manages this dashboard. Setup can only be done once, and only with this installation’s setup code.',
  setupCode: 'Setup code',
  setupCodeHelp:
    'The one-time code that shows you are the one who installed this dashboard. npm start and npm run demo print it in their terminal; on Cloudflare it is the SETUP_CODE secret set with “npx wrangler secret put SETUP_CODE”.',
  setupCodeHelpLog:
    'The one-time code that shows you are the one who installed this dashboard. No SETUP_CODE secret is set, so the dashboard wrote a code to its log when this page first opened: in the Cloudflare dashboard, open Workers & Pages → this worker → Logs and search for “First-run setup code”.',
  setupCodeWrong:
    'This is not the setup code of this dashboard. Check the code printed where it was started (or its SETUP_CODE secret).',
  createAdmin: 'Create admin account',
  loginTitle: 'Sign in',
  tooManyAttempts: (seconds: number) =>
    `Too many failed attempts: wait ${seconds} s, then try again. Each failure makes the wait longer.`,
  sessionExpired: 'Your session has ended. Sign in again to continue.',
  navDeployments: 'Deployments',
  navRunners: 'Runners',
  navSettings: 'Settings',
  navAudit: 'Audit log',
  save: 'Save',
  saved: 'Saved.',
  language: 'Language',
  theme: 'Theme',
  themes: { system: 'System theme', light: 'Light', dark: 'Dark' },
  proxmoxTitle: 'Proxmox connection',
  proxmoxIntro:
    'Where and how new game server VMs are created. The runner inside your network uses these; the token secret is stored encrypted and never shown again.',
  secretSet: 'A secret is stored. Leave empty to keep it.',
  encryptionTitle: 'Encryption key',
  encryptionIntro:
    'Secrets the dashboard must read back are stored encrypted with the server’s APP_ENC_KEY secret: the Proxmox token secret, each game server’s passwords (such as RCON), the alert channels’ webhook addresses and signing secrets, and the authenticator-app (TOTP) secrets of the accounts. Passwords, API tokens and recovery codes are never stored, only their hashes.',
  encryptionCurrent: (n: number, keyId: string) =>
    n === 0
      ? `No secret stored yet; new ones are encrypted with the current key (key id ${keyId}).`
      : `${n} stored secret${n === 1 ? '' : 's'}, all encrypted with the current key (key id ${keyId}).`,
  encryptionOlder: (n: number, keyId: string) =>
    `${n} stored secret${n === 1 ? ' is' : 's are'} still encrypted with an older key or format. Re-encrypt with the current key (key id ${keyId}); secrets of the previous key open only while it is set as APP_ENC_KEY_PREVIOUS.`,
  encryptionDropPrevious:
    'Every secret uses the new key: remove the old one with “npx wrangler secret delete APP_ENC_KEY_PREVIOUS”.',
  reseal: 'Re-encrypt with the current key',
  resealed: (n: number) => `Re-encrypted ${n} secret${n === 1 ? '' : 's'}.`,
  resealFailed: (list: string) =>
    `Some secrets could not be opened with APP_ENC_KEY or APP_ENC_KEY_PREVIOUS, and were left as they are: ${list}`,
  secretRequiredAgain: 'Type the secret again to save this change.',
  secretAgain:
    'You changed where or how the token is sent (API URL, token ID or certificate check): type the secret again. A stored secret is only ever sent where it was entered for.',
  auditAction: (action: string): string =>
    ({
      'auth.login': 'Signed in',
      'auth.login_failed': 'Sign-in refused',
      'auth.logout': 'Signed out',
      'setup.admin_created': 'Created the admin account',
      'setup.code_refused': 'Setup code refused',
      'settings.proxmox_updated': 'Changed the Proxmox connection',
      'settings.proxmox_tested': 'Tested the Proxmox connection',
      'settings.cleanup_updated': 'Changed the cleanup policy',
      'settings.secrets_resealed': 'Re-encrypted the stored secrets',
      'settings.access_changed': 'Changed the Cloudflare Access sign-in',
      'runner.created': 'Added a runner',
      'runner.registered': 'Runner registered',
      'runner.revoked': 'Revoked a runner',
      'deployment.created': 'Deployed',
      'deployment.cancel_requested': 'Cancelled a deployment',
      'deployment.retry_requested': 'Retried',
      'deployment.destroy_requested': 'Destroyed',
      'deployment.start_requested': 'Started',
      'deployment.stop_requested': 'Stopped',
      'deployment.restart_requested': 'Restarted',
      'deployment.auto_destroy': 'Destroyed after a failure (cleanup policy)',
      'deployment.backup_requested': 'Backed up',
      'deployment.backup_deleted': 'Deleted a backup',
      'deployment.snapshot_deleted': 'Deleted a snapshot',
      'deployment.restore_requested': 'Restored a backup',
      'orphan.destroy_requested': 'Destroyed an orphaned VM',
      'orphan.auto_destroyed': 'Destroyed an orphaned VM (cleanup policy)',
    })[action] ?? action,
  auditTitle: 'Audit log',
  auditEmpty: 'Nothing recorded yet.',
  when: 'When',
  who: 'Who',
  action: 'Action',
  target: 'Target',
  from: 'From',
  details: 'Details',
  loadMore: 'Load older entries',
  fixFields: 'Some fields need attention.',
  copy: 'Copy',
  copied: 'Copied',
  copyCommand: 'Copy command',
  copyCommands: 'Copy commands',
  cancelDialog: 'Cancel',
  done: 'Done',
  continue: 'Continue',
  actions: 'Actions',

  /** The Proxmox connection form (Settings and the wizard). */
}
