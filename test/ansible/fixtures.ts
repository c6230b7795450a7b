/** What the Ansible tests share: the roles' folder and a resolved Minecraft server artifact. */

export const ROLES = new URL('../../ansible/roles', import.meta.url).pathname

/** A resolved vanilla 1.21.5 jar on a loopback port nothing listens on (never downloaded). */
export const ARTIFACT = {
  edition: 'vanilla',
  version: '1.21.5',
  url: 'http://127.0.0.1:9/server.jar',
  checksum: { algorithm: 'sha1', hex: 'e6ec2f64e6080b9b5d9b471b291c33cc7f509733' },
  javaMajor: 21,
} as const
