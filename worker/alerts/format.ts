import { ALERT_TITLES, type AlertEvent } from '../../core/alerts'

/** Discord embed colours: red for trouble, green for good news, amber otherwise. */
const COLOURS = { bad: 0xd9342b, good: 0x2e9e44, info: 0xe0a000 } as const

function tone(event: AlertEvent): keyof typeof COLOURS {
  if (event.type === 'deployment_ready' || event.type === 'server_up') return 'good'
  if (event.type === 'runner_offline') return 'info'
  return 'bad'
}

/**
 * Discord's text fields are markdown: a deployment name such as `**@everyone**` must show as
 * typed, not ping a server or change the message's look.
 */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_~|>#[\]()@<:-]/g, (c) => `\\${c}`).slice(0, 1000)
}

function subjectLine(event: AlertEvent): string {
  if (event.deployment) return `${event.deployment.name} (${event.deployment.game})`
  if (event.runner) return `runner ${event.runner.name}`
  return ''
}

/**
 * The body Discord's "Execute Webhook" takes (https://discord.com/developers/docs/resources/webhook):
 * one embed; `allowed_mentions` empty so no text in it can ping anyone.
 */
export function discordBody(event: AlertEvent): string {
  const subject = subjectLine(event)
  return JSON.stringify({
    username: 'Proxmox Game Deployer',
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: ALERT_TITLES[event.type],
        description: [subject, event.detail]
          .filter((s): s is string => !!s)
          .map(escapeMarkdown)
          .join('\n'),
        color: COLOURS[tone(event)],
        timestamp: new Date(event.at).toISOString(),
      },
    ],
  })
}

/** The generic webhook's JSON body: the event as is, with a title and a version to branch on. */
export function webhookBody(event: AlertEvent, deliveryId: string): string {
  return JSON.stringify({
    version: 1,
    id: deliveryId,
    event: event.type,
    title: ALERT_TITLES[event.type],
    at: new Date(event.at).toISOString(),
    ...(event.deployment ? { deployment: event.deployment } : {}),
    ...(event.runner ? { runner: event.runner } : {}),
    ...(event.detail ? { detail: event.detail } : {}),
  })
}
