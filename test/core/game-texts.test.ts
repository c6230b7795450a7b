import { describe, expect, it } from 'vitest'
import { formFields } from '../../core/form-schema'
import { GAMES, LANGS } from '../../core/games'

/**
 * Every game of the catalogue words its own form, in every language the dashboard speaks: a
 * game added without its texts (or a field added without its wording) fails here, not in front
 * of a French admin reading "Server name" and English help.
 */

const cases = Object.values(GAMES).flatMap((game) =>
  LANGS.map((lang) => ({ game, lang, name: `${game.id} in ${lang}` })),
)

describe.each(cases)('the form texts of $name', ({ game, lang }) => {
  const fields = formFields(game.configSchema, game.advancedFields)
  const texts = game.texts[lang]

  it('sum the game up in one line for the game picker', () => {
    expect(texts.summary.trim()).not.toBe('')
  })

  it('give every field the form shows a label and a help text', () => {
    const unworded = fields
      .filter((f) => !texts.fields[f.key]?.label.trim() || !texts.fields[f.key]?.help.trim())
      .map((f) => f.key)
    expect(unworded).toEqual([])
  })

  it('give every option of every list a label', () => {
    const unlabelled = fields.flatMap((f) =>
      (f.options ?? [])
        .filter((o) => !texts.options[f.key]?.[o]?.trim())
        .map((o) => `${f.key}.${o}`),
    )
    expect(unlabelled).toEqual([])
  })

  it('word no field or option the schema does not have', () => {
    const keys = new Set(fields.map((f) => f.key))
    const options = new Map(fields.map((f) => [f.key, new Set(f.options ?? [])]))
    const stale = [
      ...Object.keys(texts.fields).filter((k) => !keys.has(k)),
      ...Object.entries(texts.options).flatMap(([k, labels]) =>
        Object.keys(labels)
          .filter((o) => !options.get(k)?.has(o))
          .map((o) => `${k}.${o}`),
      ),
    ]
    expect(stale).toEqual([])
  })
})

describe('form texts across languages', () => {
  it('translate rather than copy: no French help text or summary is the English one', () => {
    // Labels may be the same word in both languages (Version, RCON, Combat); help sentences not.
    for (const game of Object.values(GAMES)) {
      const keys = Object.keys(game.texts.en.fields)
      const same = keys.filter(
        (k) => game.texts.fr.fields[k]?.help === game.texts.en.fields[k]?.help,
      )
      if (game.texts.fr.summary === game.texts.en.summary) same.push('summary')
      expect({ game: game.id, same }).toEqual({ game: game.id, same: [] })
    }
  })
})
