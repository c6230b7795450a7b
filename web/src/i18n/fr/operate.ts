import type { enOperate } from '../en/operate'

/** French — a ready deployment's console and server log. */
export const frOperate: typeof enOperate = {
  console: {
    title: 'Console',
    intro:
      'Les commandes vont à la console du jeu (RCON) par un runner. Chaque commande est inscrite au journal d’audit.',
    noConsole: (game: string) =>
      `${game} n’a pas de console : son serveur dédié n’offre aucune console à distance pour envoyer des commandes. Le journal du serveur ci-dessous montre toujours ce qu’il écrit.`,
    consoleOff:
      'Ce serveur a été déployé avec sa console (RCON) désactivée. Redéployez-le avec « RCON » coché pour l’utiliser ici.',
    notReady: 'La console fonctionne quand le serveur est prêt.',
    commandLabel: 'Commande',
    commandHelp: (max: number) => `Une ligne, ${max} caractères au plus, sans le « / » initial.`,
    send: 'Envoyer',
    sending: 'Envoi…',
    quickTitle: 'Actions rapides',
    player: 'Nom du joueur',
    playerHelp: 'De 3 à 16 lettres, chiffres ou _.',
    message: 'Message',
    quick: {
      say: 'Dire',
      list: 'Joueurs connectés',
      whitelist_add: 'Ajouter à la liste blanche',
      whitelist_remove: 'Retirer de la liste blanche',
      op: 'Nommer opérateur',
      deop: 'Retirer opérateur',
    },
    historyTitle: 'Historique',
    historyEmpty: 'Aucune commande pour l’instant.',
    noAnswer: '(pas de réponse : la commande a été exécutée)',
    by: (who: string, when: string) => `${who}, ${when}`,
    errors: {
      no_runner:
        'Aucun runner n’est en ligne pour joindre le serveur. Démarrez un runner (page Runners).',
      runner_timeout: 'Le runner n’a pas répondu à temps.',
      unreachable: 'La console du jeu est injoignable : le serveur tourne-t-il ?',
      refused: 'La console du jeu a refusé le mot de passe.',
      no_answer: 'Le jeu n’a pas répondu à temps.',
      failed: 'La commande n’a pas pu être envoyée.',
    },
  },
  serverLog: {
    title: 'Journal du serveur',
    intro:
      'Le journal du jeu sur sa VM (son journal systemd), lu en direct par un runner via SSH pendant que vous regardez.',
    watch: 'Suivre le journal du serveur',
    download: 'Télécharger',
    search: 'Rechercher dans le journal du serveur',
    stop: 'Arrêter le suivi',
    lines: 'Lignes à l’ouverture',
    state: {
      idle: 'Pas suivi',
      connecting: 'Connexion…',
      live: 'En direct',
      ended: 'Terminé',
    },
    ended: {
      no_runner:
        'Aucun runner n’est en ligne pour lire le journal du serveur. Démarrez un runner (page Runners).',
      runner_gone: 'Le runner qui lisait le journal du serveur s’est déconnecté.',
      ssh_failed: 'Le runner n’a pas pu lire le journal via SSH.',
      closed: 'Le journal du serveur s’est terminé.',
    },
    disconnected: 'La connexion au tableau de bord s’est fermée.',
    notReady: 'Le journal du serveur se suit quand le serveur est prêt.',
  },
}
