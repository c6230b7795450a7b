import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashed, offlineUuid, resolvePlayers } from '../../runner/src/games/minecraft-players'
import { serveGameUpstream, simulatedAccountId, type GameUpstream } from '../pve-sim/game-upstream'

/** Player names to the accounts whitelist.json and ops.json hold. */
let upstream: GameUpstream
let profilesUrl = ''
beforeAll(async () => {
  upstream = await serveGameUpstream()
  profilesUrl = upstream.runnerEnv().RUNNER_MOJANG_PROFILES_URL ?? ''
})
afterAll(async () => {
  await upstream?.close()
})

describe('Minecraft players', () => {
  it('gives an offline-mode server the UUID the vanilla server computes from the name', () => {
    // The widely published offline UUID of "Notch": UUID.nameUUIDFromBytes("OfflinePlayer:Notch").
    expect(offlineUuid('Notch')).toBe('b50ad385-829d-3141-a216-7e7d7539ba7f')
    expect(offlineUuid('notch')).not.toBe(offlineUuid('Notch'))
  })

  it('looks online players up in batches of ten, keyed by lowercased name', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `Player_${i}`)
    const accounts = await resolvePlayers(
      { names: [...names, 'player_0'], online: true },
      { profilesUrl, userAgent: 'test' },
    )
    expect(Object.keys(accounts)).toHaveLength(12)
    expect(accounts.player_3).toEqual({
      name: 'Player_3',
      uuid: dashed(simulatedAccountId('Player_3')),
    })
  })

  it('names every player Mojang does not know', async () => {
    await expect(
      resolvePlayers(
        { names: ['Steve', 'NobodyHere', 'Nobody_2'], online: true },
        { profilesUrl, userAgent: 'test' },
      ),
    ).rejects.toThrow(
      'no Minecraft account is called NobodyHere, Nobody_2: check the spelling (an online-mode server needs real accounts)',
    )
  })

  it('says where it could not reach', async () => {
    await expect(
      resolvePlayers(
        { names: ['Steve'], online: true },
        { profilesUrl: 'http://127.0.0.1:9/lookup', userAgent: 'test' },
      ),
    ).rejects.toThrow(/cannot reach Mojang's profile lookup \(127\.0\.0\.1:9\)/)
  })
})
