import type { enAlerts } from '../en/alerts'

/** French — Settings → Alerts. */
export const frAlerts: typeof enAlerts = {
  alerts: {
    title: 'Alertes',
    intro:
      'Recevez un message dans Discord ou sur votre propre service web quand il arrive quelque chose à un serveur. L’adresse et le secret de signature sont stockés chiffrés et ne sont plus jamais montrés en entier.',
    loading: 'Lecture des canaux d’alerte…',
    empty: 'Aucun canal d’alerte pour l’instant.',
    add: 'Ajouter un canal',
    name: 'Nom',
    kind: 'Type',
    kinds: { discord: 'Webhook Discord', webhook: 'Webhook HTTPS (signé)' },
    url: 'Adresse du webhook',
    urlHelpDiscord:
      'Dans Discord : paramètres du salon → Intégrations → Webhooks → Copier l’URL du webhook.',
    urlHelpWebhook:
      'Une adresse https:// de votre service. Chaque requête est signée : voir docs/alerts.md pour la vérifier.',
    urlKeep: 'Laissez vide pour garder l’adresse enregistrée.',
    secret: 'Secret de signature (facultatif)',
    secretHelp:
      'Au moins 16 caractères. Laissé vide, il est créé pour vous et montré une seule fois.',
    secretShown:
      'Le secret de signature, montré cette seule fois : copiez-le dans votre service maintenant.',
    events: 'Envoyer une alerte quand',
    eventNames: {
      deployment_ready: 'un déploiement est prêt',
      deployment_failed: 'un déploiement échoue',
      server_down: 'un serveur tombe',
      server_up: 'un serveur revient',
      runner_offline: 'un runner est hors ligne',
      runner_online: 'un runner est de nouveau en ligne',
      scheduled_failed: 'une action planifiée échoue',
      backup_failed: 'une sauvegarde échoue',
    },
    sendsWhen: 'Envoie quand :',
    noEvent: 'rien (aucun événement choisi)',
    newTitle: 'Nouveau canal',
    editTitle: (name: string) => `Modifier « ${name} »`,
    save: 'Enregistrer',
    cancel: 'Annuler',
    edit: 'Modifier',
    remove: 'Supprimer',
    removeConfirm: (name: string) => `Supprimer le canal d’alerte « ${name} » ?`,
    saved: 'Enregistré.',
    sendTest: 'Envoyer un test',
    testOk: (status: number | null) => `L’alerte de test a été livrée (HTTP ${status ?? '?'}).`,
    testFailed: (why: string) => `L’alerte de test n’a pas été livrée : ${why}.`,
    log: 'Journal des envois',
    logEmpty: 'Rien d’envoyé pour l’instant.',
    colTime: 'Heure',
    colEvent: 'Événement',
    colResult: 'Résultat',
    colAttempt: 'Tentative',
    testEvent: 'test',
    timingTitle: 'Délais avant une alerte',
    graceLabel: 'Serveur tombé après (minutes)',
    graceHelp:
      'Un serveur prêt qui ne répond plus pendant ce temps, sans démarrage, arrêt, redémarrage ou sauvegarde de votre part en cours. Un redémarrage dans ce délai n’envoie rien.',
    offlineLabel: 'Runner hors ligne après (minutes)',
    offlineHelp: 'Un runner dont la connexion a disparu depuis ce temps et n’est pas revenue.',
    saveTiming: 'Enregistrer les délais',
    delivered: (status: number | null) => `livrée (HTTP ${status ?? '?'})`,
  },
}
