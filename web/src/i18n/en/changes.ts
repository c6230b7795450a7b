/** English — changing a deployed server: the edit form, its diff and cost, a rolled-back change. */
export const enChanges = {
  changes: {
    edit: 'Edit',
    editTitle: (name: string) => `Change “${name}”`,
    editIntro:
      'The same settings as when it was deployed. A snapshot of the VM is taken first; if anything fails the server goes back to it, as it was.',
    review: 'Review the changes',
    close: 'Close',
    diffTitle: 'What will change',
    colSetting: 'Setting',
    colBefore: 'Now',
    colAfter: 'After',
    hidden: 'changed (hidden)',
    sizingLabels: {
      cores: 'CPU cores',
      memoryMiB: 'Memory (MiB)',
      diskGiB: 'Disk (GiB)',
    } as Record<string, string>,
    costTitle: 'What it costs',
    costRestart:
      'The VM restarts for its new CPU or memory: players are disconnected for a minute.',
    costGame: 'The game restarts with its new settings: players are disconnected briefly.',
    costLive:
      'Applied live, no restart: the whitelist is reloaded and operators are added or removed through the console; players stay connected (those taken off the whitelist are disconnected). If the console fails, the game restarts instead.',
    costDisk: (from: number, to: number) =>
      `The disk grows from ${from} to ${to} GiB. A disk can only grow: this cannot be undone.`,
    costUpgrade:
      'The game moves to a newer release: worlds it saves cannot be opened by the old one. Only a rollback to the snapshot undoes it.',
    costSnapshot: (cap: number) =>
      `A snapshot is taken first and kept (the last ${cap} are kept); a failed change rolls back to it by itself.`,
    nothing: 'Nothing would change.',
    diskShrink: (from: number, to: number) =>
      `The disk can only grow: ${to} GiB is smaller than its ${from} GiB.`,
    downgrade: (from: string, to: string) =>
      `Going back from ${from} to ${to} is refused: a world saved by ${from} uses a newer format that ${to} cannot load. Restore a backup from before the upgrade instead.`,
    confirm: 'Apply the changes',
    confirmTitle: (name: string) => `Apply these changes to “${name}”?`,
    rolledBackTitle: 'The last change was rolled back',
    rolledBack: (why: string) => `The server is as it was before the change. Why: ${why}`,
    cancelledBack: 'The change was cancelled and undone: the server is as it was before it.',
    cancelChange: 'Cancel the change',
    cancelBody:
      'The change stops and is undone: the server goes back to its snapshot, as it was before.',
    tryAgain: 'Try the change again',
    tryAgainTitle: (name: string) => `Try the change of “${name}” again?`,
    tryAgainBody: 'A new snapshot is taken first; a failure rolls back again.',
    pinned: (version: string) => `Pinned to ${version}: no updates are offered.`,
    updateTitle: 'Update available',
    updateBody: (newest: string, installed: string) =>
      `Version ${newest} is out; this server runs ${installed}. Worlds saved by the new version cannot be opened by the old one: only the snapshot taken first undoes the update.`,
    updateTo: (version: string) => `Update to ${version}`,
    updateConfirmTitle: (name: string, version: string) => `Update “${name}” to ${version}?`,
    updateConfirmBody:
      'A snapshot of the VM is taken first, then the game is installed again in the new version and restarted (players are disconnected briefly). If it does not answer, the server goes back to the snapshot.',
  },
}
