/**
 * The protocol's plain values, in a module without zod: the runner's idle path (control socket,
 * heartbeats, welcome, its config) imports these and the codec's encoders and nothing else of the
 * protocol, so a connected runner with no work does not load zod and the schemas (about 20 MB of
 * memory). Everything else may import them from `core/protocol`.
 */

/** Every JSON frame carries it as `v`; the codec writes it, the schemas require it. */
export const PROTOCOL_VERSION = 1
/**
 * Heartbeats are these literal text frames, not JSON: the Durable Objects answer them with their
 * auto-response, without waking up (hibernation).
 */
export const HEARTBEAT_PING = 'ping'
export const HEARTBEAT_PONG = 'pong'
/** The runner pings this often; silent for three intervals = offline. */
export const HEARTBEAT_INTERVAL_MS = 10_000
export const OFFLINE_AFTER_MS = 3 * HEARTBEAT_INTERVAL_MS

/** The steps of a deployment, in the order the runner runs them and the timeline shows them. */
export const DEPLOY_STEPS = [
  'allocate',
  'clone',
  'configure',
  'resize',
  'start',
  'wait_ssh',
  'provision',
  'verify',
] as const
/** The steps of a destroy job. */
export const DESTROY_STEPS = ['stop_vm', 'delete_vm'] as const
/**
 * The steps of a template job: read Debian's published checksum, have Proxmox download the
 * cloud image onto the node, create a VM that imports it, convert that VM to a template.
 */
export const TEMPLATE_STEPS = [
  'image_checksum',
  'download_image',
  'create_vm',
  'make_template',
] as const

/**
 * The steps of a bake (core/bake.ts): a VM cloned from the base template and started like a
 * deployment's, the game's base layer applied and the VM sealed (`bake_layer`), shut down, then
 * renamed for the game and layer version and converted to a template (`seal_template`).
 */
export const BAKE_STEPS = [
  'allocate',
  'clone',
  'configure',
  'start',
  'wait_ssh',
  'bake_layer',
  'stop_vm',
  'seal_template',
] as const

/**
 * The steps of a backup: the game stops writing its world and flushes it (where it has a console),
 * Proxmox's vzdump archives the VM, the game saves again. The last runs after a failure too.
 */
export const BACKUP_STEPS = ['save_world', 'vzdump', 'resume_world', 'prune_backups'] as const
/**
 * The steps of a restore in place: a safety backup of the current state, the VM stopped, the
 * archive restored over it, started again, and the game checked like after a deploy.
 */
export const RESTORE_STEPS = [
  'safety_backup',
  'stop_vm',
  'restore_vm',
  'start',
  'wait_ssh',
  'verify',
] as const

/**
 * The steps of a change of a ready deployment: a snapshot to come back to, the VM's new size
 * (with a reboot when CPU or memory change), the game's playbook again with the new settings, the
 * game checked as after a deploy, then the product's snapshots beyond the cap dropped.
 */
export const CHANGE_STEPS = [
  'snapshot',
  'change_vm',
  'wait_ssh',
  'provision',
  'verify',
  'prune_snapshots',
] as const
/** The steps that undo a failed or cancelled change: back to its snapshot, then the old game checked. */
export const ROLLBACK_STEPS = ['rollback', 'wait_ssh', 'verify'] as const

/** WebSocket close codes used on runner sockets. */
export const CLOSE = {
  /** A frame failed to parse: policy violation. */
  BAD_FRAME: 1008,
  /** The runner was revoked or its key is wrong: do not reconnect. */
  REVOKED: 4401,
  /** Another connection of the same runner replaced this one. */
  REPLACED: 4409,
  /** The job is no longer leased to this runner (finished, cancelled, taken over). */
  JOB_GONE: 4410,
  /** Nothing (not even a heartbeat) came for the offline delay: the runner reconnects when it can. */
  SILENT: 4408,
} as const
