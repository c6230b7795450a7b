/** English — a deployment's backups. */
export const enBackups = {
  backups: {
    title: 'Backups',
    intro: (storage: string) =>
      `Whole-VM backups made by Proxmox (vzdump) on the storage “${storage}” (Settings → Proxmox connection → Backup storage). Only this server’s backups are listed.`,
    now: 'Back up now',
    nowTitle: (name: string) => `Back up ${name} now?`,
    nowBody:
      'With its console (Minecraft with RCON) the game keeps running: it stops writing its world while Proxmox takes a snapshot. Without one, the VM shuts down for the backup (the game saves its world on the way down) and starts again: players are disconnected meanwhile.',
    running: 'A backup is running: its steps and log are below.',
    loading: 'Reading the backups…',
    empty: 'No backup yet.',
    unavailable: (why: string) => `The backups cannot be read right now: ${why}`,
    refresh: 'Refresh',
    colTime: 'Made',
    colSize: 'Size',
    colKind: 'Kind',
    colVersion: 'Game version',
    kind: { manual: 'Manual', scheduled: 'Scheduled', safety: 'Safety (automatic)' },
    protected: 'Protected',
    protectedHelp:
      'Protected: it cannot be deleted, by hand or by a schedule’s retention, until it is unprotected.',
    protect: 'Protect',
    unprotect: 'Unprotect',
    protectLabel: (when: string) => `Protect the backup made ${when}`,
    unprotectLabel: (when: string) => `Unprotect the backup made ${when}`,
    protectedDone: 'Backup protected: it will not be deleted until you unprotect it.',
    unprotectedDone: 'Backup unprotected.',
    delete: 'Delete',
    deleteLabel: (when: string) => `Delete the backup made ${when}`,
    deleteTitle: (when: string) => `Delete the backup made ${when}?`,
    deleteBody: 'The archive is removed from the storage for good.',
    deleted: 'Backup deleted.',
    restore: 'Restore',
    restoreLabel: (when: string) => `Restore the backup made ${when}`,
    restoreTitle: (name: string, when: string) => `Restore ${name} to its backup of ${when}?`,
    restoreBody:
      'A safety backup of the server as it is now is made first (listed here as “Safety”). Then the VM stops, the backup replaces its disk and settings, and it starts again; players are disconnected meanwhile. Anything changed in the world since that backup is replaced.',
    restoring: 'A restore is running: its steps and log are below.',
    restoreNew: 'New server from it',
    restoreNewLabel: (when: string) => `Make a new server from the backup made ${when}`,
    restoreNewTitle: (when: string) => `A new server from the backup of ${when}?`,
    restoreNewBody:
      'A new deployment is made from this backup: same game, settings and size, its own VM and an address from the pool. This server is not touched. The new one starts with the world as it was in the backup.',
    restoreNewName: 'Name of the new server',
    restoreNewConfirm: 'Make the new server',
    lastFailed: (message: string) => `The last backup failed: ${message}`,
    size: (bytes: number) =>
      bytes >= 1024 ** 3
        ? `${(bytes / 1024 ** 3).toFixed(1)} GiB`
        : `${Math.max(1, Math.round(bytes / 1024 ** 2))} MiB`,
  },
}
