import { VALHEIM_ADVANCED_FIELDS, VALHEIM_SENSITIVE_FIELDS, ValheimConfig } from './valheim-config'
import { VALHEIM_TEXTS } from './valheim-texts'
import type { AnsibleVars, GameModule, GamePort, HealthCheck } from './types'

export * from './valheim-config'

/**
 * The Valheim dedicated server module: config → VM size, ports, playbook vars, health check.
 * The server comes from Steam (app 896660, anonymous login) through SteamCMD inside the VM, so
 * there is no artifact for the runner to resolve.
 */

/** Steam app id of "Valheim Dedicated Server", installed with `+app_update`. */
export const VALHEIM_SERVER_APP_ID = 896_660

/** How long the health check waits for the A2S answer. */
export const VALHEIM_QUERY_TIMEOUT_MS = 5_000

/** The Steam query port: Valheim always answers A2S on the game port + 1. */
export function queryPortOf(config: ValheimConfig): number {
  return config.gamePort + 1
}

function ports(config: ValheimConfig): GamePort[] {
  return [
    {
      name: 'game',
      port: config.gamePort,
      protocol: 'udp',
      exposure: 'public',
      description: 'Valheim game traffic (players connect here)',
    },
    {
      name: 'query',
      port: queryPortOf(config),
      protocol: 'udp',
      exposure: 'public',
      description: 'Steam server queries (A2S), used by the server browser and the health check',
    },
  ]
}

/** `-modifier <name> <value>` pairs the server gets; `normal` ones are left out. */
export function modifiersOf(config: ValheimConfig): Record<string, string> {
  const all = {
    combat: config.combat,
    deathpenalty: config.deathPenalty,
    resources: config.resources,
    raids: config.raids,
    portals: config.portals,
  }
  return Object.fromEntries(Object.entries(all).filter(([, value]) => value !== 'normal'))
}

function toAnsibleVars(config: ValheimConfig): AnsibleVars {
  return {
    valheim_server_name: config.serverName,
    valheim_world_name: config.worldName,
    valheim_password: config.password,
    valheim_public: config.public,
    valheim_port: config.gamePort,
    valheim_save_interval_s: config.saveIntervalS,
    valheim_backups: config.backups,
    valheim_preset: config.preset === 'normal' ? '' : config.preset,
    valheim_modifiers: modifiersOf(config),
    valheim_memory_mb: config.memoryMb,
  }
}

function healthCheck(config: ValheimConfig): HealthCheck {
  // The server must answer as the one configured, not merely answer.
  return {
    kind: 'steam-a2s',
    port: queryPortOf(config),
    expect: { name: config.serverName },
    timeoutMs: VALHEIM_QUERY_TIMEOUT_MS,
  }
}

/** Valheim dedicated server, installed and updated by SteamCMD. */
export const valheim: GameModule<typeof ValheimConfig> = {
  id: 'valheim',
  name: 'Valheim',
  summary: VALHEIM_TEXTS.en.summary,
  playbook: 'provision_valheim.yml',
  configSchema: ValheimConfig,
  texts: VALHEIM_TEXTS,
  defaults: {
    serverName: 'My Valheim server',
    worldName: 'Dedicated',
    // No default password: the form starts empty and the admin must choose one.
    password: '',
    public: false,
    memoryMb: 4096,
    cores: 2,
    diskGb: 20,
    gamePort: 2456,
    saveIntervalS: 1800,
    backups: 4,
    preset: 'normal',
    combat: 'normal',
    deathPenalty: 'normal',
    resources: 'normal',
    raids: 'normal',
    portals: 'normal',
  },
  advancedFields: VALHEIM_ADVANCED_FIELDS,
  sensitiveFields: VALHEIM_SENSITIVE_FIELDS,
  // The dedicated server has no remote console protocol (no RCON).
  console: null,
  serviceUnit: 'valheim',
  sizing: (config) => ({ cores: config.cores, memoryMb: config.memoryMb, diskGb: config.diskGb }),
  ports,
  secrets: () => [],
  artifact: () => null,
  toAnsibleVars,
  healthCheck,
}
