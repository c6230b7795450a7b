import { describe, expect, it } from 'vitest'
import { SIMULATED_PROVISION_FILE } from '../../runner/src/executors/simulated-provision'
import { dashed } from '../../runner/src/games/minecraft-players'
import { simulatedAccountId } from '../pve-sim/game-upstream'
import { pickGame, screenshot } from './browser'
import { statusIs, useUiSimScene } from './fixtures'

/**
 * The whitelist and the operators from the form to the server: the players' box appears with the
 * whitelist switch, bad names are refused in the admin's language, and a deploy through a real
 * runner (real executors, the simulator, the simulated Mojang lookup) hands the playbook the
 * players' accounts.
 */
const scene = useUiSimScene()

describe('whitelist and operators in the form', () => {
  it('takes the players to whitelist and the operators, and the server gets their accounts', async () => {
    const page = await scene.openPage('/deployments/new')
    await pickGame(page)
    const players = page.getByLabel('Players on the whitelist')
    // A whitelist without players is not offered: the box comes with the switch.
    await expect(players.count()).resolves.toBe(0)
    await page.getByLabel('Whitelist', { exact: true }).check()
    await players.fill('Alex_1\nbad-name')
    await page.getByLabel('Operators').fill('Admin_Bob')
    await page.getByLabel('Name', { exact: true }).fill('friends only')
    await page.getByLabel(/I accept the Minecraft End User License Agreement/).check()
    await page.getByRole('button', { name: 'Deploy' }).click()
    await page
      .getByText('"bad-name" is not a Minecraft name: 3 to 16 letters, digits or _')
      .waitFor()
    await screenshot(page, 'players-error-en')
    await players.fill('Alex_1, Steve')
    await page.getByRole('button', { name: 'Deploy' }).click()
    await page.getByRole('heading', { level: 1, name: 'friends only' }).waitFor()
    await statusIs(page, 'Ready', 90_000)

    // What the playbook got (the simulated guest keeps its vars): accounts, not names alone.
    const vm = [...scene.sim.cluster.vms.values()].find((v) =>
      v.guestFiles?.[SIMULATED_PROVISION_FILE]?.includes('Admin_Bob'),
    )
    const vars = JSON.parse(vm?.guestFiles?.[SIMULATED_PROVISION_FILE] ?? '{}').vars as {
      minecraft_whitelist: unknown
      minecraft_ops: unknown
      minecraft_properties: Record<string, string>
    }
    const account = (name: string) => ({ uuid: dashed(simulatedAccountId(name)), name })
    expect(vars.minecraft_whitelist).toEqual([
      account('Alex_1'),
      account('Steve'),
      account('Admin_Bob'),
    ])
    expect(vars.minecraft_ops).toEqual([
      { ...account('Admin_Bob'), level: 4, bypassesPlayerLimit: false },
    ])
    expect(vars.minecraft_properties['white-list']).toBe('true')
  })

  it('words the refusals in French', async () => {
    const page = await scene.openPage('/deployments/new', { lang: 'fr' })
    await pickGame(page)
    await page.getByLabel('Liste blanche', { exact: true }).check()
    await page.getByLabel('Nom', { exact: true }).fill('amis')
    await page.getByLabel(/J’accepte/).check()
    await page.getByRole('button', { name: 'Déployer' }).click()
    await page
      .getByText(
        'la liste blanche doit compter au moins un joueur (ou un opérateur), sinon personne ne peut rejoindre',
      )
      .waitFor()
    await page.getByLabel('Opérateurs').fill('Alex_1 alex_1')
    await page.getByRole('button', { name: 'Déployer' }).click()
    await page.getByText('alex_1 figure deux fois').waitFor()
    await screenshot(page, 'players-error-fr')
  })
})
