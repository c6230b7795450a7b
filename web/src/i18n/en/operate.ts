/** English — a ready deployment's console and server log. */
export const enOperate = {
  console: {
    title: 'Console',
    intro:
      'Commands go to the game’s own console (RCON) through a runner. Every command is recorded in the audit log.',
    noConsole: (game: string) =>
      `${game} has no console: its dedicated server offers no remote console to send commands to. The server log below still shows what it prints.`,
    consoleOff:
      'This server was deployed with its console (RCON) switched off. Deploy it again with “RCON” ticked to use it here.',
    notReady: 'The console works while the server is ready.',
    commandLabel: 'Command',
    commandHelp: (max: number) => `One line, at most ${max} characters, without the leading “/”.`,
    send: 'Send',
    sending: 'Sending…',
    quickTitle: 'Quick actions',
    player: 'Player name',
    playerHelp: '3 to 16 letters, digits or _.',
    message: 'Message',
    quick: {
      say: 'Say',
      list: 'List players',
      whitelist_add: 'Add to whitelist',
      whitelist_remove: 'Remove from whitelist',
      op: 'Make operator',
      deop: 'Remove operator',
    } as Record<string, string>,
    historyTitle: 'History',
    historyEmpty: 'No command yet.',
    noAnswer: '(no answer: the command ran)',
    by: (who: string, when: string) => `${who}, ${when}`,
    errors: {
      no_runner: 'No runner is online to reach the server. Start a runner (Runners page).',
      runner_timeout: 'The runner did not answer in time.',
      unreachable: 'The game’s console cannot be reached: is the server running?',
      refused: 'The game’s console refused the password.',
      no_answer: 'The game did not answer in time.',
      failed: 'The command could not be sent.',
    } as Record<string, string>,
  },
  serverLog: {
    title: 'Server log',
    intro:
      'The game’s own log on its VM (its systemd journal), read live by a runner over SSH while you watch.',
    watch: 'Watch the server log',
    download: 'Download',
    search: 'Search the server log',
    stop: 'Stop watching',
    lines: 'Lines on open',
    state: {
      idle: 'Not watching',
      connecting: 'Connecting…',
      live: 'Live',
      ended: 'Ended',
    } as Record<string, string>,
    ended: {
      no_runner: 'No runner is online to read the server log. Start a runner (Runners page).',
      runner_gone: 'The runner reading the server log went offline.',
      ssh_failed: 'The runner could not read the log over SSH.',
      closed: 'The server log ended.',
    } as Record<string, string>,
    disconnected: 'The connection to the dashboard closed.',
    notReady: 'The server log can be watched while the server is ready.',
  },
}
