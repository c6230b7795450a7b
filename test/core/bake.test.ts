import { describe, expect, it } from 'vitest'
import {
  BAKE_LAYERS,
  BakeRequest,
  bakedTemplateName,
  isCurrentLayer,
  parseBakedName,
} from '../../core/bake'
import { currentLayers } from '../../scripts/bake-layer.mjs'

describe('game-ready templates (core/bake.ts)', () => {
  it('carries the layer version of the files the base layer is made of', () => {
    // Fails when a base-layer file changed and `npm run bake:layer -- --write` was not run:
    // baked templates would pass for current while they lack the change.
    expect(BAKE_LAYERS).toEqual(currentLayers())
  })

  it('names a template for game, Java family and layer, and reads the name back', () => {
    const name = bakedTemplateName('minecraft', 21, BAKE_LAYERS.minecraft)
    expect(name).toBe(`pgd-minecraft-java21-l${BAKE_LAYERS.minecraft}`)
    expect(name).toMatch(/^[a-z0-9-]{1,63}$/)
    const parsed = parseBakedName(name)
    expect(parsed).toEqual({ game: 'minecraft', javaMajor: 21, layer: BAKE_LAYERS.minecraft })
    expect(parsed && isCurrentLayer(parsed)).toBe(true)
  })

  it('calls a template of another layer out of date, and other names no template of ours', () => {
    const old = parseBakedName('pgd-minecraft-java21-l0123456789')
    expect(old && isCurrentLayer(old)).toBe(false)
    for (const name of [
      'pgd-debian-13-template',
      'pgd-valheim-java21-l0123456789',
      'pgd-minecraft-java21-l012345678',
      'pgd-minecraft-javaX-l0123456789',
      'pgd-constructor-java21-l0123456789',
    ])
      expect(parseBakedName(name), name).toBeNull()
  })

  it('refuses a Java family it cannot bake, naming the field', () => {
    const bad = BakeRequest.safeParse({ game: 'minecraft', javaMajor: 8 })
    expect(bad.success).toBe(false)
    expect(bad.error?.issues[0]?.path).toEqual(['javaMajor'])
    expect(BakeRequest.safeParse({ game: 'valheim', javaMajor: 21 }).success).toBe(false)
  })
})
