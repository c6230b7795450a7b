import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CreateDeployment } from '../../core/deployment-api'
import { fieldErrors } from '../../core/form-schema'
import { MinecraftConfig } from '../../core/games/minecraft'
import { ValheimConfig } from '../../core/games/valheim'
import { translateMessage } from '../../core/validation-text'

/**
 * Validation messages as a person filling in the form reads them, in English and French: bounds
 * with their unit and the language's number format, required fields, and every message our own
 * schemas set, translated.
 */

function errorsOf(result: { success: boolean; error?: unknown }, lang: 'en' | 'fr') {
  if (result.success) throw new Error('expected a validation failure')
  return fieldErrors(result.error as Parameters<typeof fieldErrors>[0], lang)
}

describe('validation messages in plain words', () => {
  it('words a bound with its unit and the language’s digit grouping', () => {
    const big = MinecraftConfig.safeParse({ eula: true, memoryMb: 200_000 })
    expect(errorsOf(big, 'en').memoryMb).toBe('at most 131,072 MiB')
    // French groups digits with a (narrow) no-break space.
    expect(errorsOf(big, 'fr').memoryMb).toMatch(/^au plus 131\s072 MiB$/u)
    const small = MinecraftConfig.safeParse({ eula: true, diskGb: 4 })
    expect(errorsOf(small, 'en').diskGb).toBe('at least 8 GiB')
    expect(errorsOf(small, 'fr').diskGb).toBe('au moins 8 GiB')
    const players = MinecraftConfig.safeParse({ eula: true, maxPlayers: 5000 })
    expect(errorsOf(players, 'en').maxPlayers).toBe('at most 1,000')
  })

  it('says a text is too long in characters, and a missing field is required', () => {
    const long = MinecraftConfig.safeParse({ eula: true, motd: 'x'.repeat(151) })
    expect(errorsOf(long, 'en').motd).toBe('at most 150 characters')
    expect(errorsOf(long, 'fr').motd).toBe('au plus 150 caractères')
    const missing = ValheimConfig.safeParse({})
    expect(errorsOf(missing, 'en').password).toBe('required')
    expect(errorsOf(missing, 'fr').password).toBe('obligatoire')
  })

  it('keeps the schema’s own words, translated into French', () => {
    const eula = MinecraftConfig.safeParse({ eula: false })
    expect(errorsOf(eula, 'en').eula).toBe(
      'you must accept the Minecraft EULA (https://aka.ms/MinecraftEULA) to deploy',
    )
    expect(errorsOf(eula, 'fr').eula).toBe(
      'vous devez accepter le CLUF de Minecraft (https://aka.ms/MinecraftEULA) pour déployer',
    )
    const short = ValheimConfig.safeParse({ password: 'abc' })
    expect(errorsOf(short, 'fr').password).toBe(
      'doit faire au moins 5 caractères : Valheim refuse de démarrer avec un mot de passe plus court',
    )
    const name = CreateDeployment.safeParse({ name: 'a/b', game: 'minecraft' })
    expect(errorsOf(name, 'fr').name).toBe(
      'ne peut contenir que des lettres, des chiffres, des espaces, le point, le tiret et le tiret bas',
    )
  })

  it('says which player name is wrong or twice, and refuses a whitelist nobody is on', () => {
    const bad = MinecraftConfig.safeParse({ eula: true, whitelistPlayers: ['Alex', 'no spaces'] })
    expect(errorsOf(bad, 'en').whitelistPlayers).toBe(
      '"no spaces" is not a Minecraft name: 3 to 16 letters, digits or _',
    )
    expect(errorsOf(bad, 'fr').whitelistPlayers).toBe(
      '« no spaces » n’est pas un nom Minecraft : 3 à 16 lettres, chiffres ou _',
    )
    const twice = MinecraftConfig.safeParse({ eula: true, operators: ['Alex', 'alex'] })
    expect(errorsOf(twice, 'en').operators).toBe('alex is listed twice')
    expect(errorsOf(twice, 'fr').operators).toBe('alex figure deux fois')
    const empty = MinecraftConfig.safeParse({ eula: true, whiteList: true })
    expect(errorsOf(empty, 'en').whitelistPlayers).toBe(
      'the whitelist needs at least one player (or an operator), or nobody can join',
    )
    expect(
      MinecraftConfig.safeParse({ eula: true, whiteList: true, operators: ['Alex'] }).success,
    ).toBe(true)
    const many = MinecraftConfig.safeParse({
      eula: true,
      operators: Array.from({ length: 21 }, (_, i) => `op_${i}`),
    })
    expect(errorsOf(many, 'en').operators).toMatch(/^at most 20 /)
  })

  it('has a French wording for every message the schemas in core/ set themselves', () => {
    const core = new URL('../../core/', import.meta.url).pathname
    const files = [
      'auth.ts',
      'deployment-api.ts',
      'settings.ts',
      'vm-spec.ts',
      'games/free-text.ts',
      ...readdirSync(join(core, 'games'))
        .filter((f) => f.endsWith('-config.ts'))
        .map((f) => `games/${f}`),
    ]
    // Quoted or template literals that read as a message ("must …", "may …", "you must …").
    const literal =
      /(['`])((?:must|may|is required|you must|the |rangeStart|Minecraft )(?:(?!\1).)*)\1/g
    const untranslated: string[] = []
    let seen = 0
    for (const file of files) {
      for (const line of readFileSync(join(core, file), 'utf8').split('\n')) {
        if (/^\s*(\/\/|\*|\/\*)/.test(line)) continue
        for (const m of line.matchAll(literal)) {
          const text = (m[2] ?? '').replace(/\$\{[^}]+\}/g, '5')
          if (!text.includes(' ')) continue
          seen++
          if (translateMessage(text, 'fr') === text) untranslated.push(`${file}: ${text}`)
        }
      }
    }
    expect(seen).toBeGreaterThan(30)
    expect(untranslated).toEqual([])
  })
})
