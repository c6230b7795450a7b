/** English — a deployment's VM snapshots. */
export const enSnapshots = {
  snapshots: {
    title: 'Snapshots',
    intro:
      'Proxmox snapshots of this server’s VM. A change takes one first and rolls back to it if the change fails; older ones beyond the limit are deleted after a change.',
    kept: (n: number, cap: number) => `Kept: ${n} of ${cap}`,
    loading: 'Reading the snapshots…',
    empty: 'No snapshot: one is taken before each change of this server.',
    unavailable: (why: string) => `The snapshots cannot be read right now: ${why}`,
    noRunner: 'No runner is online to read them from Proxmox.',
    refresh: 'Refresh',
    colTime: 'Taken',
    colChange: 'Taken before',
    colName: 'Name',
    beforeChange: (what: string) => `the change: ${what}`,
    secretChanged: (label: string) => `${label} changed`,
    fieldChange: (label: string, from: string, to: string) => `${label}: ${from} → ${to}`,
    changeSeparator: '; ',
    aChange: 'a change',
    byHand: 'Taken in Proxmox (not counted in the limit)',
    delete: 'Delete',
    deleteLabel: (when: string) => `Delete the snapshot taken ${when}`,
    deleteTitle: (when: string) => `Delete the snapshot taken ${when}?`,
    deleteBody:
      'The VM can no longer be rolled back to this point. The server keeps running as it is now.',
    deleted: 'Snapshot deleted.',
    busy: 'A job is working on this server: snapshots can be deleted once it has finished.',
  },
}
