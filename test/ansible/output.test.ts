import { describe, expect, it } from 'vitest'
import { LineSplitter, redactor } from '../../runner/src/ansible/lines'
import { PlaybookOutputTracker } from '../../runner/src/ansible/output'

function track(lines: string[]): PlaybookOutputTracker {
  const tracker = new PlaybookOutputTracker()
  for (const line of lines) tracker.push(line)
  tracker.end()
  return tracker
}

const RECAP = [
  'PLAY RECAP *********************************************************************',
  'target                     : ok=5    changed=2    unreachable=0    failed=1    skipped=3    rescued=0    ignored=1   ',
]

describe('ansible-playbook output tracking', () => {
  it('adds what a failed command printed to the generic non-zero return code message', () => {
    const tracker = track([
      'TASK [Wait for cloud-init to finish the first boot] ****************************',
      'fatal: [target]: FAILED! => {"changed": false, "msg": "non-zero return code", "rc": 1, "stderr": "", "stdout": "status: error"}',
      ...RECAP,
    ])
    expect(tracker.failure).toEqual({
      task: 'Wait for cloud-init to finish the first boot',
      host: 'target',
      message: 'non-zero return code: status: error',
      unreachable: false,
    })
  })

  it('keeps the task role prefix that Ansible prints', () => {
    const tracker = track([
      'TASK [minecraft : Check that the Minecraft EULA was accepted] ******************',
      'fatal: [target]: FAILED! => {"assertion": "minecraft_eula_accept | bool", "changed": false, "evaluated_to": false, "msg": "The Minecraft EULA was not accepted"}',
      ...RECAP,
    ])
    expect(tracker.failure?.task).toBe('minecraft : Check that the Minecraft EULA was accepted')
  })

  it('marks an unreachable host', () => {
    const tracker = track([
      'TASK [Gathering Facts] *********************************************************',
      'fatal: [target]: UNREACHABLE! => {"changed": false, "msg": "Failed to connect to the host via ssh: Connection refused", "unreachable": true}',
      ...RECAP,
    ])
    expect(tracker.failure).toMatchObject({
      unreachable: true,
      message: 'Failed to connect to the host via ssh: Connection refused',
    })
  })

  it('reports a failed loop item with its message', () => {
    const tracker = track([
      'TASK [minecraft : Set each managed server.properties key] **********************',
      'failed: [target] (item=motd) => {"ansible_loop_var": "item", "changed": false, "msg": "Destination /opt/minecraft/server/server.properties does not exist !"}',
      ...RECAP,
    ])
    expect(tracker.failure?.message).toBe(
      'Destination /opt/minecraft/server/server.properties does not exist !',
    )
  })

  it('forgets a failure that Ansible then ignores', () => {
    const tracker = track([
      'TASK [Tolerate] ****************************************************************',
      'fatal: [target]: FAILED! => {"msg": "non-zero return code"}',
      '...ignoring',
      ...RECAP,
    ])
    expect(tracker.failure).toBeNull()
  })

  it('reads the recap counters', () => {
    expect(track(RECAP).recap).toEqual([
      {
        host: 'target',
        ok: 5,
        changed: 2,
        unreachable: 0,
        failed: 1,
        skipped: 3,
        rescued: 0,
        ignored: 1,
      },
    ])
  })
})

describe('output line splitting', () => {
  it('keeps a character whose UTF-8 bytes arrive in two chunks whole', () => {
    const lines: string[] = []
    const splitter = new LineSplitter((line) => lines.push(line))
    const bytes = Buffer.from('motd=Grüße\r\nlast', 'utf8')
    const cut = bytes.indexOf(0xc3) + 1
    splitter.push(bytes.subarray(0, cut))
    splitter.push(bytes.subarray(cut))
    splitter.end()
    expect(lines).toEqual(['motd=Grüße', 'last'])
  })

  it('redacts a longer secret before a shorter one it contains', () => {
    expect(redactor(['abc', 'abcdef'])('pw=abcdef and abc')).toBe('pw=*** and ***')
  })
})
