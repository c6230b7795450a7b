/** English — Proxmox connection, runners, orphans, cleanup settings, the first-run wizard and the template job. */
export const enAdmin = {
  proxmox: {
    legendApi: 'API',
    legendTls: 'TLS',
    legendVms: 'VMs',
    legendNetwork: 'Network',
    labels: {
      apiUrl: 'API URL',
      node: 'Node',
      tokenId: 'API token ID',
      tokenSecret: 'API token secret',
      tlsMode: 'Certificate check',
      fingerprint: 'SHA-256 fingerprint',
      caPem: 'CA certificate (PEM)',
      templateVmid: 'Template VMID',
      storage: 'Target storage',
      backupStorage: 'Backup storage',
      pool: 'Resource pool',
      ciUser: 'Cloud-init user',
      bridge: 'Bridge',
      vlan: 'VLAN tag',
      poolCidr: 'Network (CIDR)',
      poolStart: 'First address for servers',
      poolEnd: 'Last address for servers',
      gateway: 'Gateway',
      dnsServers: 'DNS servers',
      searchDomain: 'Search domain (optional)',
      sshPort: 'SSH port',
    },
    help: {
      apiUrl: 'The address you open the Proxmox web UI with, e.g. https://pve.lan:8006.',
      node: 'The node that hosts new VMs, as listed under Datacenter in the Proxmox UI.',
      tokenId:
        'Format user@realm!name, e.g. pgd@pve!runner. Keep "Privilege Separation" on and grant the token only what the commands below give it.',
      tokenSecret: 'Shown once by Proxmox when you create the token.',
      fingerprint:
        'Node → System → Certificates → pve-ssl.pem → View Certificate, or `openssl x509 -in /etc/pve/local/pve-ssl.pem -noout -fingerprint -sha256` on the node.',
      caPem: 'The cluster CA: the contents of /etc/pve/pve-root-ca.pem.',
      templateVmid:
        'A VM converted to a template, with a cloud-init drive (e.g. a Debian 12 or Ubuntu 24.04 cloud image). New servers are full clones of it.',
      storage: 'Where the clones’ disks go, e.g. local-lvm.',
      backupStorage:
        'Where backups go: a storage with the “VZDump backup file” content type (Datacenter → Storage), e.g. local, an NFS share or a Proxmox Backup Server.',
      pool: 'The Proxmox resource pool new VMs go into, e.g. pgd. Grant the token its VM privileges on this pool only: it then cannot touch any other VM. Empty: no pool.',
      bridge: 'The network bridge for the VMs, e.g. vmbr0.',
      vlan: 'Optional VLAN tag (1–4094).',
      dnsServers: 'One to three addresses, separated by commas.',
      poolCidr:
        'The VMs’ network, e.g. 192.168.1.0/24. New servers get a free address from the range below.',
      ciUser: 'The user cloud-init creates on the VM; the runner signs in as this user over SSH.',
    } as Record<string, string | undefined>,
    tlsFingerprint: 'Pin the certificate’s SHA-256 fingerprint',
    tlsCa: 'Trust the cluster CA (PEM)',
    tlsInsecure: 'Insecure: do not verify (not recommended)',
    insecureWarning:
      'Anyone on the path between the runner and Proxmox could read the token. Use this only on a trusted lab network.',
    setupTitle: 'Prepare Proxmox: a token with the least privileges',
    setupIntro:
      'Run these on a Proxmox node, as root; they use the values above. They create roles with only the privileges this product uses, the pool, a user and its token (privilege separation on), and grant them the roles on the pool, the template, the storage and the bridge. Paste the secret that "pveum user token add" prints into the field above.',
    setupPve7: 'On Proxmox VE 7, leave out the PGDNetwork lines: SDN.Use does not exist there.',
  },

  runnersTitle: 'Runners',
  runnersIntro:
    'A runner is a small agent inside your network: it dials out to this dashboard, takes jobs and talks to Proxmox for you.',
  runnersEmpty: 'No runner yet: add one to deploy servers.',
  addRunner: 'Add runner',
  runnerName: 'Runner name',
  runnerNameHelp: 'Anything that tells you where it runs, e.g. the host name.',
  runnerState: {
    online: 'Online',
    offline: 'Offline',
    awaiting_registration: 'Waiting for registration',
    revoked: 'Revoked',
  },
  revoke: 'Revoke',
  revokeTitle: (name: string) => `Revoke “${name}”?`,
  revokeBody:
    'Its key stops working at once and its connections are closed. Jobs it holds go to another runner.',
  rotateTitle: 'Now replace the Proxmox token',
  rotateBody: (name: string) =>
    `“${name}” is revoked, but it may still hold the Proxmox API token in memory, and the token keeps working until you replace it. On a Proxmox node, as root, run:`,
  rotateThen: 'Then paste the new secret into',
  rotateDismiss: 'Done, token replaced',
  codeOnce: 'The one-time code is shown only now: run the command before you leave this page.',
  runnerCommandIntro:
    'The runner goes on a Debian or Ubuntu host inside your network that reaches Proxmox and the VMs. From a clone of this project (npm install && npm run build:runner), with SSH and sudo on that host, run — with your host’s name or address instead of runner.lan:',
  codeExpires: (time: string) => `The code works once, until ${time}.`,
  runnerInstallHint:
    'The playbook installs Node.js, Ansible, the runner and its service, registers it and starts it.',
  runnerManualTitle: 'Or install it by hand on the host',
  runnerManualIntro:
    'The same steps as the playbook, on the runner host itself (Node.js 22 or newer installed first, e.g. from NodeSource):',
  runnerWaiting: 'Waiting for the runner to connect…',
  runnerRegisteredWaiting: 'Registered; waiting for the runner to come online…',
  runnerConnected: (name: string) => `Runner “${name}” is connected.`,
  runnerWhy:
    'The dashboard cannot reach your Proxmox: a runner inside your network connects out to it and does the work.',

  orphansTitle: 'Orphaned VMs',
  orphansIntro:
    'VMs this product created that no deployment owns any more: their deployment was destroyed or is unknown to this dashboard. They still use your node’s resources.',
  orphansEmpty: 'No orphaned VMs.',
  orphansHow:
    'An online runner sweeps your Proxmox node now and then: it lists the VMs carrying this product’s tag and compares them with the deployments here. Anything left over shows up in this list.',
  orphansLastSweep: (ago: string) => `Last sweep: ${ago}.`,
  orphansNoSweep: 'No sweep has run yet: it runs while a runner is online.',
  orphansPolicyReport: 'They are only reported, never destroyed on their own. To change that:',
  orphansPolicyDestroy: 'The cleanup policy destroys them when the sweep finds them:',
  orphansFound: (n: number) =>
    n === 1
      ? 'One orphaned VM was found on your node.'
      : `${n} orphaned VMs were found on your node.`,
  orphansReview: 'Review',
  colVmid: 'VM id',
  colReason: 'Reason',
  colFirstSeen: 'First seen',
  orphanReason: {
    unknown_deployment: 'Unknown deployment',
    deployment_destroyed: 'Deployment destroyed',
    duplicate_vm: 'Second VM of a deployment',
  } as Record<string, string>,
  orphanDestroyLabel: (vmid: number) => `Destroy VM ${vmid}`,
  orphanDestroyTitle: (vmid: number) => `Destroy VM ${vmid}?`,
  orphanDestroyBody:
    'A runner stops the VM and deletes it with its disks on Proxmox. This cannot be undone.',
  orphanGone: 'This VM is no longer an orphan (or no longer exists); the list is refreshed.',

  settingsTitle: 'Settings',
  cleanupTitle: 'Cleanup',
  cleanupIntro:
    'What happens to VMs nobody needs any more. Nothing is destroyed on its own unless you choose it here.',
  cleanupOnFailure: 'When a deployment fails',
  cleanupKeep: 'Keep the VM for debugging',
  cleanupKeepHelp:
    'Look at it in Proxmox or over SSH, then Retry or Destroy from the deployment’s page.',
  cleanupDestroyFailed: 'Destroy it',
  cleanupDestroyFailedHelp:
    'The VM is deleted with its disks as soon as the deployment fails; nothing is left to inspect.',
  cleanupOrphans: 'Orphaned VMs (created by this product, whose deployment is gone)',
  cleanupReport: 'Report only',
  cleanupReportHelp: 'They are listed under Runners → Orphaned VMs, with a one-click Destroy.',
  cleanupAuto: 'Destroy automatically',
  cleanupAutoHelp:
    'The runner’s sweep destroys them when it finds them. Only VMs this product created are touched.',
  cleanupSaved: 'Cleanup policy saved.',

  wizardTitle: 'Set up Proxmox Game Deployer',
  wizardProgress: 'Setup progress',
  wizardStep: {
    admin: 'Admin account',
    proxmox: 'Proxmox connection',
    runner: 'Register a runner',
    test: 'Test connection',
    template: 'Template',
    done: 'Done',
  },
  templateTitle: 'Cloud-init template',
  templateIntro:
    'Every server is a clone of a cloud-init template. The runner can make one for you: Proxmox downloads the official Debian cloud image onto the node (checked against Debian’s published SHA-512), a VM is created from it with a cloud-init drive, serial console and guest agent, and converted to a template, which Settings then selects. The node needs internet access (or a mirror).',
  templateSelected: (vmid: number) => `Deployments clone template ${vmid}.`,
  templateRelease: 'Debian release',
  templateMirror: 'Mirror (optional)',
  templateMirrorHelp:
    'A folder holding SHA512SUMS and the image, if the node cannot reach cloud.debian.org. Empty: Debian’s own.',
  templateImageStorage: 'Storage for the image',
  templateImageStorageHelp:
    'A file storage that accepts the “import” content type (Datacenter → Storage), usually local.',
  templatePrepare: 'Prepare the template',
  templateJobTitle: 'Template job',
  templateReady: (vmid: number) => `Template ${vmid} is ready and selected in Settings.`,
  templateSkip: 'Skip: I made a template by hand',
  templateByHand: 'To make one by hand instead, see “Prepare Proxmox” in the README.',
  bakeTitle: 'Game-ready template (Minecraft)',
  bakeIntro:
    'Deployments start faster from a template that already has the game’s base layer: the runner clones the template above, installs Java, the service user and the firewall’s defaults, cleans the VM’s identity (cloud-init, machine id, SSH host keys, logs) and converts it to a template named for the layer. Minecraft deployments then clone it and only install the server; without a current one they use the template above and install everything.',
  bakeJava: 'Java',
  bakeJavaHelp:
    'Minecraft 1.20.5 to 1.21 needs Java 21, 26.1 and newer Java 25, 1.18 to 1.20.4 Java 17.',
  bakeStart: 'Bake the template',
  bakeAgain: 'Bake it again',
  bakeJobTitle: 'Bake job',
  bakeCurrent: (name: string, vmid: number) => `Minecraft deployments clone ${name} (VM ${vmid}).`,
  bakeOutOfDate: (name: string) =>
    `Template out of date: the game’s base layer changed since ${name} was baked. Deployments use the base template until you bake it again.`,
  saveAndContinue: 'Save and continue',
  testIntro: 'The runner checks that it can reach Proxmox with these settings.',
  testConnection: 'Test connection',
  testing: 'Testing…',
  testResults: 'Test results',
  testedFrom: (name: string) => `Tested from runner “${name}”:`,
  checkOk: 'passed',
  checkFailed: 'failed',
  editProxmox: 'Edit the Proxmox settings',
  finish: 'Finish',
  finishAnyway: 'Finish anyway',
  wizardDoneTitle: 'All set',
  wizardDoneBody: 'Your dashboard, Proxmox and runner are connected. Deploy your first server.',
  deployFirst: 'Deploy a server',
  goToDashboard: 'Go to the dashboard',
}
