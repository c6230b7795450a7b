import { describe, expect, it } from 'vitest'
import type { BannerBackend } from '../pve-sim/backend'
import { screenshot } from './browser'
import { readyDeployment, statusIs, useUiSimScene } from './fixtures'
import { simProxmox } from './sim-stack'
import { waitFor } from './stack'

/**
 * Backups end to end: wrangler dev, a runner with the real executors, the Proxmox simulator
 * (vzdump, its storage, and guests whose Minecraft answers RCON). Clicked in the browser: the
 * game stops saving and flushes its world, Proxmox archives the VM, saving comes back on, the
 * deployment is ready again and the backup is listed; then deleted. A storage too small fails
 * the backup with Proxmox's words, and the server stays ready.
 */
// RCON is opened to the runner's address: the runner says which it is.
const scene = useUiSimScene({
  sim: { timing: { backupMs: 300 } },
  runnerEnv: { RUNNER_ADDRESS: '127.0.0.1' },
})

interface Detail {
  deployment: { id: string; status: string; vmid: number | null }
}

const openPage = (path: string, lang?: 'fr') => scene.openPage(path, lang ? { lang } : {})
const world = (vmid: number) => (scene.sim.cluster.opts.backend as BannerBackend).worldOf(vmid)
const archives = () => [...scene.sim.cluster.volumes.values()].filter((v) => v.content === 'backup')

/** Back up through the API and wait (60 s at most) until the deployment is ready again. */
async function backUpNow(id: string): Promise<void> {
  await scene.api.ok('POST', `/api/deployments/${id}/backups`)
  await waitFor(
    async () =>
      (await scene.api.ok<Detail>('GET', `/api/deployments/${id}`)).deployment.status === 'ready',
    'the backup done',
    60_000,
    200,
  )
}

const readyMinecraft = (name: string) =>
  readyDeployment(scene.api, name, { eula: true, rconEnabled: true })

describe('backups', () => {
  it('backs up a running server with its world flushed, lists the backup and deletes it', async () => {
    const { id, vmid } = await readyMinecraft('backup world')
    const page = await openPage(`/deployments/${id}`)
    const card = page.locator('section.backups')
    await card.getByTestId('backups-empty').waitFor()
    await card.getByRole('button', { name: 'Back up now' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Back up now' }).click()
    await statusIs(page, 'Backing up')
    await statusIs(page, 'Ready', 60_000)
    const row = card.locator('tbody tr')
    await row.first().waitFor({ timeout: 20_000 })
    expect(await row.count()).toBe(1)
    await expect.poll(() => row.first().textContent()).toContain('Manual')
    // The game paused its saving and flushed before the archive, and saves again after it.
    expect(world(vmid).commands).toEqual(['save-off', 'save-all flush', 'save-on'])
    expect(world(vmid).saving).toBe(true)
    // Snapshot mode: the VM kept running; the archive names this deployment in its notes.
    expect(scene.sim.cluster.vm(vmid).running).toBe(true)
    const [archive] = archives()
    expect(archive?.notes).toContain(`pgd ${id} `)
    // The timeline shows the backup's own steps, all done.
    await expect
      .poll(() => page.locator('.timeline li[data-step="resume_world"]').getAttribute('class'))
      .toContain('step-done')
    await screenshot(page, 'backups-list-en')

    // Protected, it cannot be deleted (Proxmox refuses, and the button says so) until unprotected.
    await row
      .first()
      .getByRole('button', { name: /^Protect the backup/ })
      .click()
    await card.getByText('Backup protected', { exact: false }).waitFor()
    await expect.poll(() => row.first().textContent()).toContain('Protected')
    expect(archives()[0]?.protected).toBe(true)
    expect(
      await row
        .first()
        .getByRole('button', { name: /Delete/ })
        .isDisabled(),
    ).toBe(true)
    await row
      .first()
      .getByRole('button', { name: /^Unprotect the backup/ })
      .click()
    await card.getByText('Backup unprotected.').waitFor()
    expect(archives()[0]?.protected).toBe(false)

    await row
      .first()
      .getByRole('button', { name: /Delete/ })
      .click()
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click()
    await card.getByText('Backup deleted.').waitFor()
    await card.getByTestId('backups-empty').waitFor()
    expect(archives()).toEqual([])
  })

  it('fails a backup that does not fit with Proxmox’s words, and the server stays ready', async () => {
    const { id, vmid } = await readyMinecraft('backup full')
    scene.sim.cluster.opts.storages.push({
      storage: 'tiny',
      type: 'dir',
      content: 'backup',
      shared: 0,
      active: 1,
      enabled: 1,
      sizeGiB: 0.001,
    })
    await scene.api.ok('PUT', '/api/settings/proxmox', {
      ...simProxmox(scene.sim),
      backupStorage: 'tiny',
    })
    const page = await openPage(`/deployments/${id}`, 'fr')
    const card = page.locator('section.backups')
    await card.getByTestId('backups-empty').waitFor()
    await card.getByRole('button', { name: 'Sauvegarder maintenant' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Sauvegarder maintenant' }).click()
    await statusIs(page, 'Sauvegarde')
    await statusIs(page, 'Prêt', 60_000)
    await card.getByText(/La dernière sauvegarde a échoué : .*No space left on device/).waitFor()
    // Saving is on again even though the archive failed.
    expect(world(vmid).saving).toBe(true)
    expect(world(vmid).commands.at(-1)).toBe('save-on')
    const d = await scene.api.ok<Detail>('GET', `/api/deployments/${id}`)
    expect(d.deployment.status).toBe('ready')
    await screenshot(page, 'backups-failed-fr')
  })

  it('restores a backup in place: the world comes back, and a safety backup is kept', async () => {
    const { id, vmid } = await readyMinecraft('backup restore')
    await scene.api.ok('PUT', '/api/settings/proxmox', simProxmox(scene.sim))
    const level = '/srv/minecraft/world/level.dat'
    const vm = () => scene.sim.cluster.vm(vmid)
    vm().guestFiles = { ...vm().guestFiles, [level]: 'the world before the griefing' }
    await backUpNow(id)
    vm().guestFiles = { ...vm().guestFiles, [level]: 'griefed' }
    const page = await openPage(`/deployments/${id}`)
    const card = page.locator('section.backups')
    const rows = card.locator('tbody tr')
    await rows.first().waitFor()
    await rows
      .first()
      .getByRole('button', { name: /^Restore/ })
      .click()
    await page.getByRole('dialog').getByRole('button', { name: 'Restore' }).click()
    await statusIs(page, 'Restoring')
    await statusIs(page, 'Ready', 60_000)
    expect(vm().guestFiles?.[level]).toBe('the world before the griefing')
    // The state from before the restore is kept as a safety backup, listed beside the first.
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(2)
    await expect.poll(() => card.locator('tbody').textContent()).toContain('Safety')
    await expect
      .poll(() => page.locator('.timeline li[data-step="verify"]').getAttribute('class'))
      .toContain('step-done')
    await screenshot(page, 'backups-restored-en')
  })
})

describe('a new server from a backup', () => {
  it('makes a new deployment from the archive: same world, its own VM and address', async () => {
    const { id, vmid } = await readyMinecraft('backup source')
    await scene.api.ok('PUT', '/api/settings/proxmox', simProxmox(scene.sim))
    const level = '/srv/minecraft/world/level.dat'
    const vm = (n: number) => scene.sim.cluster.vm(n)
    vm(vmid).guestFiles = { ...vm(vmid).guestFiles, [level]: 'the world to copy' }
    await backUpNow(id)
    vm(vmid).guestFiles = { ...vm(vmid).guestFiles, [level]: 'the source moved on' }

    const page = await openPage(`/deployments/${id}`)
    const card = page.locator('section.backups')
    const rows = card.locator('tbody tr')
    await rows.first().waitFor()
    await rows
      .first()
      .getByRole('button', { name: /^Make a new server from the backup/ })
      .click()
    const dialog = page.getByRole('dialog')
    await dialog.getByLabel('Name of the new server').fill('copy of the world')
    await screenshot(page, 'backups-restore-new-en')
    await dialog.getByRole('button', { name: 'Make the new server' }).click()
    await page.getByRole('heading', { name: 'copy of the world' }).waitFor()
    await statusIs(page, 'Ready', 90_000)
    const copyId = new URL(page.url()).pathname.split('/').at(-1)!
    const copy = (
      await scene.api.ok<Detail & { deployment: { ip: string } }>(
        'GET',
        `/api/deployments/${copyId}`,
      )
    ).deployment
    const source = (
      await scene.api.ok<Detail & { deployment: { ip: string } }>('GET', `/api/deployments/${id}`)
    ).deployment
    // Its own VM and address; the world as it was in the backup; the source untouched.
    expect(copy.vmid).not.toBe(vmid)
    expect(copy.ip).not.toBe(source.ip)
    expect(vm(copy.vmid!).guestFiles?.[level]).toBe('the world to copy')
    expect(vm(vmid).guestFiles?.[level]).toBe('the source moved on')
    expect(source.status).toBe('ready')
    expect(vm(copy.vmid!).config.net0).not.toBe(vm(vmid).config.net0)
    expect(vm(copy.vmid!).config.tags).toContain(copyId.toLowerCase())
    // The timeline says where the VM came from.
    await expect
      .poll(() => page.locator('.timeline li[data-step="clone"]').textContent())
      .toContain('Restore the backup to a new VM')
    await expect
      .poll(() => page.locator('.log-pane').textContent(), { timeout: 10_000 })
      .toContain('restored from')
    await screenshot(page, 'backups-restored-new-en')
  })
})
