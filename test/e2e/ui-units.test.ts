import { describe, expect, it } from 'vitest'
import { formFields } from '../../core/form-schema'
import { GAMES } from '../../core/games'
import { parseAnsi, stripAnsi } from '../../web/src/lib/ansi'
import { LogBuffer } from '../../web/src/lib/log-buffer'

/**
 * The dashboard's pure pieces, without a browser: the schema → form walk, Ansible's colours,
 * and the log buffer that keeps a resumed stream free of gaps and repeats.
 */

const line = (seq: number, text = `line ${seq}`) => ({
  seq,
  ts: 0,
  step: null,
  stream: 'stdout' as const,
  text,
})

describe('the generated Minecraft form', () => {
  const fields = formFields(GAMES.minecraft.configSchema, GAMES.minecraft.advancedFields)
  const byKey = new Map(fields.map((f) => [f.key, f]))

  it('has a field for every config key, in schema order, with its default', () => {
    expect(fields.map((f) => f.key)).toEqual(Object.keys(GAMES.minecraft.defaults))
    expect(byKey.get('memoryMb')).toMatchObject({
      kind: 'integer',
      minimum: 2048,
      default: 4096,
      advanced: false,
    })
    expect(byKey.get('difficulty')?.options).toEqual(['peaceful', 'easy', 'normal', 'hard'])
  })

  it('makes the EULA a required checkbox and folds the advanced keys', () => {
    expect(byKey.get('eula')).toMatchObject({ kind: 'boolean', required: true })
    expect(fields.filter((f) => f.advanced).map((f) => f.key)).toEqual([
      ...GAMES.minecraft.advancedFields,
    ])
  })
})

describe('ANSI colours in log lines', () => {
  it('turns Ansible’s SGR codes into classed segments and drops other escapes', () => {
    expect(parseAnsi('\x1b[0;32mok: [vm]\x1b[0m done')).toEqual([
      { text: 'ok: [vm]', className: 'fg-2' },
      { text: ' done' },
    ])
    expect(parseAnsi('\x1b[1;31mfatal\x1b[0m')).toEqual([{ text: 'fatal', className: 'fg-1 bold' }])
    expect(parseAnsi('\x1b[2Kclean')).toEqual([{ text: 'clean' }])
  })

  it('strips escapes for search and download', () => {
    expect(stripAnsi('\x1b[0;33mchanged: [vm]\x1b[0m')).toBe('changed: [vm]')
  })
})

describe('the log buffer', () => {
  it('keeps each line once, in order, across an overlapping replay after a reconnect', () => {
    const log = new LogBuffer()
    expect(log.append([line(1), line(2), line(3)])).toBe(true)
    expect(log.append([line(2), line(3)])).toBe(false)
    log.append([line(3), line(4), line(5)])
    expect(log.lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5])
    expect(log.lastSeq).toBe(5)
  })
})
