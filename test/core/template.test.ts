import { describe, expect, it } from 'vitest'
import { imageBase, sha512Of, storedImageName, TemplateRequest } from '../../core/template'

describe('the template request', () => {
  it('defaults to Debian’s own folder and the local storage', () => {
    const req = TemplateRequest.parse({ release: '12' })
    expect(req).toEqual({ release: '12', imageStorage: 'local' })
    expect(imageBase(req)).toBe('https://cloud.debian.org/images/cloud/bookworm/latest/')
    expect(imageBase(TemplateRequest.parse({ release: '13', mirrorUrl: '' }))).toBe(
      'https://cloud.debian.org/images/cloud/trixie/latest/',
    )
  })

  it('takes a mirror folder, with the trailing slash added', () => {
    const req = TemplateRequest.parse({
      release: '13',
      mirrorUrl: ' http://mirror.lan:8080/debian ',
    })
    expect(imageBase(req)).toBe('http://mirror.lan:8080/debian/')
  })

  it('refuses what could be more than a plain URL, and unknown releases', () => {
    for (const mirrorUrl of [
      'ftp://mirror.lan/',
      'https://mirror.lan/a b',
      'https://user:pw@mirror.lan/',
      "https://mirror.lan/'x'",
      'https://mirror.lan/?q=1',
      'javascript:alert(1)',
    ]) {
      expect(TemplateRequest.safeParse({ release: '12', mirrorUrl }).success, mirrorUrl).toBe(false)
    }
    expect(TemplateRequest.safeParse({ release: '11' }).success).toBe(false)
    expect(TemplateRequest.safeParse({ release: '12', imageStorage: 'local;rm' }).success).toBe(
      false,
    )
  })
})

describe('SHA512SUMS', () => {
  const a = 'a'.repeat(128)
  const b = 'B'.repeat(128)
  const sums = `${a}  debian-12-nocloud-amd64.qcow2\n${b} *debian-12-genericcloud-amd64.qcow2\n`

  it('finds the file’s checksum, lowercased, and nothing for a file it does not list', () => {
    expect(sha512Of(sums, 'debian-12-genericcloud-amd64.qcow2')).toBe('b'.repeat(128))
    expect(sha512Of(sums, 'debian-13-genericcloud-amd64.qcow2')).toBeNull()
    expect(sha512Of('not a checksum list', 'x')).toBeNull()
  })

  it('names the stored image after the checksum, so a newer image is a new file', () => {
    expect(storedImageName('12', 'b'.repeat(128))).toBe(
      'debian-12-genericcloud-amd64-bbbbbbbbbbbb.qcow2',
    )
  })
})
