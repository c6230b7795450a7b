import type { enSchedules } from '../en/schedules'

/** Français — les actions planifiées d’un déploiement. */
export const frSchedules: typeof enSchedules = {
  schedules: {
    title: 'Planification',
    defaultsTitle: 'Planification des nouveaux serveurs',
    defaultsIntro:
      'Chaque nouveau déploiement commence avec une copie de celles-ci (p. ex. une sauvegarde quotidienne), modifiable ensuite sur sa page. Les serveurs déjà déployés gardent les leurs.',
    intro:
      'Sauvegardes, redémarrages et plages d’arrêt ou de démarrage qui s’exécutent seuls, chacun comme une tâche normale avec ses étapes et son journal. Les heures sont celles du fuseau horaire choisi.',
    add: 'Ajouter une planification',
    empty: 'Aucune planification pour le moment.',
    loading: 'Lecture des planifications…',
    unavailable: (why: string) =>
      `Les planifications ne peuvent pas être lues pour l’instant : ${why}`,
    colAction: 'Action',
    colWhen: 'Planification',
    colNext: 'Prochaine exécution',
    colLast: 'Dernière exécution',
    action: {
      backup: 'Sauvegarder',
      restart: 'Redémarrer',
      stop: 'Arrêter',
      start: 'Démarrer',
    },
    every: { day: 'Chaque jour', week: 'Chaque semaine', hours: 'Toutes les quelques heures' },
    weekdays: ['dimanche', 'lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi'],
    whenDay: (at: string, tz: string) => `Chaque jour à ${at} (${tz})`,
    whenWeek: (day: string, at: string, tz: string) => `Chaque ${day} à ${at} (${tz})`,
    whenHours: (n: number) => (n === 1 ? 'Toutes les heures' : `Toutes les ${n} heures`),
    keeps: (daily: number, weekly: number) =>
      `garde les ${daily} dernières sauvegardes quotidiennes et ${weekly} hebdomadaires`,
    disabled: 'En pause',
    nextWaiting: 'Échue : attend la fin de la tâche en cours',
    never: 'Pas encore',
    outcome: {
      queued: 'En file : attend un runner',
      running: 'En cours',
      succeeded: 'Réussie',
      failed: 'Échouée',
      cancelled: 'Annulée',
      missed: 'Manquée',
      skipped: 'Ignorée',
    },
    late: (minutes: number) => `démarrée avec ${minutes} min de retard (aucun runner en ligne)`,
    reason: {
      busy: (minutes: number) => `le déploiement était occupé depuis plus de ${minutes} minutes`,
      status: (status: string) => `le déploiement était dans l’état ${status}`,
      stopped: 'le serveur était déjà arrêté',
      running: 'le serveur tournait déjà',
    },
    edit: 'Modifier',
    editLabel: (what: string) => `Modifier la planification « ${what} »`,
    remove: 'Supprimer',
    removeLabel: (what: string) => `Supprimer la planification « ${what} »`,
    removeTitle: (what: string) => `Supprimer la planification « ${what} » ?`,
    removeBody:
      'Elle ne s’exécutera plus. Les sauvegardes qu’elle a faites restent sur le stockage jusqu’à ce que vous les supprimiez.',
    pause: 'Mettre en pause',
    resume: 'Reprendre',
    saved: 'Planification enregistrée.',
    formTitleNew: 'Nouvelle planification',
    formTitleEdit: 'Modifier la planification',
    fieldAction: 'Action',
    fieldEvery: 'Répéter',
    fieldAt: 'Heure',
    fieldDay: 'Jour',
    fieldHours: 'Toutes les combien d’heures',
    fieldTimeZone: 'Fuseau horaire',
    timeZoneHelp: 'p. ex. Europe/Paris ou UTC. Celui de votre navigateur est prérempli.',
    fieldDaily: 'Sauvegardes quotidiennes à garder',
    fieldWeekly: 'Sauvegardes hebdomadaires à garder',
    keepHelp:
      'Après chaque sauvegarde planifiée, les sauvegardes planifiées plus anciennes au-delà de ces nombres sont supprimées : la plus récente de chacun des derniers jours, puis des semaines précédentes. Les sauvegardes manuelles, de sécurité et protégées ne sont jamais supprimées.',
    actionHelp: {
      backup: 'Une sauvegarde complète de la VM, faite comme « Sauvegarder maintenant ».',
      restart:
        'La VM redémarre (le jeu sauvegarde son monde en s’arrêtant) et le jeu est vérifié. Les joueurs sont déconnectés pendant ce temps.',
      stop: 'La VM s’éteint (le jeu sauvegarde son monde en s’arrêtant).',
      start: 'La VM démarre et le jeu est vérifié.',
    },
    save: 'Enregistrer',
    cancel: 'Annuler',
  },
}
