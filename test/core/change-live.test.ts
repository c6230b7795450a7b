import { describe, expect, it } from 'vitest'
import { changeCost, changeParams, livePlayers } from '../../core/change-plan'
import { minecraft } from '../../core/games/minecraft'
import type { DeploymentSpec } from '../../core/protocol'
import { liveCommands } from '../../runner/src/games/live-players'

/**
 * Which changes the console applies without a restart: the player lists alone, on a server whose
 * console is on; the plan says so, and names the operators to add and remove.
 */

const SPEC: DeploymentSpec = {
  deploymentId: 'd-1',
  name: 'friends',
  game: 'minecraft',
  gameConfig: {
    motd: 'Hi',
    rconEnabled: true,
    rconPort: 25_575,
    whiteList: true,
    whitelistPlayers: ['Alex_1'],
    operators: ['Admin_Bob', 'Old_Op'],
  },
  cores: 2,
  memoryMiB: 4096,
  diskGiB: 16,
  ipAddress: '127.0.0.50',
  sshPublicKeys: [],
}

const withConfig = (patch: Record<string, unknown>): DeploymentSpec => ({
  ...SPEC,
  gameConfig: { ...SPEC.gameConfig, ...patch },
})

describe('player lists applied live', () => {
  it('plans the console commands for a change of the lists alone', () => {
    const to = withConfig({
      whitelistPlayers: ['Alex_1', 'Steve'],
      operators: ['admin_bob', 'New_Op'],
    })
    expect(livePlayers(SPEC, to)).toEqual({ op: ['New_Op'], deop: ['Old_Op'] })
    expect(changeCost(SPEC, to).live).toBe(true)
    expect(changeCost(SPEC, to).restart).toBe(false)
    expect(changeParams('job-1', SPEC, to).players).toEqual({ op: ['New_Op'], deop: ['Old_Op'] })
    const commands = liveCommands(minecraft, { op: ['New_Op'], deop: ['Old_Op'] })
    expect(commands).toEqual({
      ok: true,
      commands: ['whitelist reload', 'op New_Op', 'deop Old_Op'],
    })
  })

  it('restarts when anything else moves, or the console is off', () => {
    const mixed = withConfig({ motd: 'New', whitelistPlayers: ['Steve'] })
    expect(livePlayers(SPEC, mixed)).toBeNull()
    expect(changeCost(SPEC, mixed).live).toBe(false)
    expect(changeParams('job-1', SPEC, mixed).players).toBeUndefined()
    const off = withConfig({ rconEnabled: false })
    expect(
      livePlayers(off, { ...off, gameConfig: { ...off.gameConfig, operators: [] } }),
    ).toBeNull()
    // Turning the console on in the same change: the server must restart to open it.
    expect(livePlayers(off, withConfig({ operators: [] }))).toBeNull()
    expect(
      livePlayers(SPEC, {
        ...SPEC,
        memoryMiB: 8192,
        gameConfig: withConfig({ operators: [] }).gameConfig,
      }),
    ).toBeNull()
    // A whitelist switched on or off is a server.properties key: a restart.
    expect(livePlayers(SPEC, withConfig({ whiteList: false }))).toBeNull()
    // A version update is never live.
    const update = { from: '1.21.4', to: '1.21.5' }
    expect(
      changeParams('j', SPEC, withConfig({ operators: [] }), [], update).players,
    ).toBeUndefined()
  })

  it('never builds a command from a name the game refuses', () => {
    const to = withConfig({ operators: ['Admin_Bob', 'bad name; stop'] })
    expect(livePlayers(SPEC, to)).toBeNull()
    expect(liveCommands(minecraft, { op: ['x;stop'], deop: [] })).toEqual({
      ok: false,
      why: '"x;stop" is not a player name',
    })
  })
})
