import type { enApp } from '../en/app'

/** French — The shell: sign-in, navigation, encryption key, audit log and words used everywhere. */
export const frApp: typeof enApp = {
  appName: 'Proxmox Game Deployer',
  simulatorBanner:
    'Démo : ce tableau de bord déploie sur un simulateur Proxmox local, pas sur un vrai cluster. Les VM sont simulées.',
  loading: 'Chargement…',
  skipToContent: 'Aller au contenu',
  mainNav: 'Principal',
  signIn: 'Se connecter',
  signOut: 'Se déconnecter',
  username: "Nom d'utilisateur",
  password: 'Mot de passe',
  passwordHint: 'Au moins 12 caractères.',
  setupTitle: 'Créez le compte administrateur',
  setupCode: 'Code d’installation',
  setupCodeHelp:
    'Le code à usage unique qui montre que c’est vous qui avez installé ce tableau de bord. npm start et npm run demo l’affichent dans leur terminal ; sur Cloudflare, c’est le secret SETUP_CODE défini avec « npx wrangler secret put SETUP_CODE ».',
  setupCodeHelpLog:
    'Le code à usage unique qui montre que c’est vous qui avez installé ce tableau de bord. Aucun secret SETUP_CODE n’est défini : le tableau de bord a écrit un code dans son journal à la première ouverture de cette page. Dans le tableau de bord Cloudflare, ouvrez Workers & Pages → ce worker → Logs et cherchez « First-run setup code ».',
  setupCodeWrong:
    'Ce n’est pas le code d’installation de ce tableau de bord. Vérifiez le code affiché à son démarrage (ou son secret SETUP_CODE).',
  setupIntro:
    'Première visite : créez le compte qui gère ce tableau de bord. Cette étape ne peut être faite qu’une fois, et seulement avec le code d’installation.',
  createAdmin: 'Créer le compte administrateur',
  tooManyAttempts: (seconds: number) =>
    `Trop d’essais manqués : attendez ${seconds} s, puis réessayez. Chaque échec allonge l’attente.`,
  loginTitle: 'Connexion',
  sessionExpired: 'Votre session a expiré. Reconnectez-vous pour continuer.',
  navDeployments: 'Déploiements',
  navRunners: 'Runners',
  navSettings: 'Paramètres',
  navAudit: 'Journal d’audit',
  save: 'Enregistrer',
  saved: 'Enregistré.',
  language: 'Langue',
  theme: 'Thème',
  themes: { system: 'Thème du système', light: 'Clair', dark: 'Sombre' },
  proxmoxTitle: 'Connexion Proxmox',
  proxmoxIntro:
    'Où et comment les VM des serveurs de jeu sont créées. Le runner dans votre réseau les utilise ; le secret du jeton est chiffré et n’est plus jamais affiché.',
  secretSet: 'Un secret est enregistré. Laissez vide pour le conserver.',
  encryptionTitle: 'Clé de chiffrement',
  encryptionIntro:
    'Les secrets que le tableau de bord doit pouvoir relire sont enregistrés chiffrés avec le secret APP_ENC_KEY du serveur : le secret du jeton Proxmox, les mots de passe de chaque serveur de jeu (comme RCON), les adresses et secrets de signature des canaux d’alerte, et les secrets d’application d’authentification (TOTP) des comptes. Les mots de passe, jetons d’API et codes de secours ne sont jamais enregistrés, seulement leur empreinte.',
  encryptionCurrent: (n: number, keyId: string) =>
    n === 0
      ? `Aucun secret enregistré pour l’instant ; les nouveaux sont chiffrés avec la clé actuelle (identifiant ${keyId}).`
      : `${n} secret${n > 1 ? 's' : ''} enregistré${n > 1 ? 's' : ''}, tous chiffrés avec la clé actuelle (identifiant ${keyId}).`,
  encryptionOlder: (n: number, keyId: string) =>
    `${n} secret${n > 1 ? 's sont' : ' est'} encore chiffré${n > 1 ? 's' : ''} avec une ancienne clé ou un ancien format. Chiffrez-les à nouveau avec la clé actuelle (identifiant ${keyId}) ; ceux de l’ancienne clé ne s’ouvrent que tant qu’elle est définie dans APP_ENC_KEY_PREVIOUS.`,
  encryptionDropPrevious:
    'Tous les secrets utilisent la nouvelle clé : supprimez l’ancienne avec « npx wrangler secret delete APP_ENC_KEY_PREVIOUS ».',
  reseal: 'Chiffrer à nouveau avec la clé actuelle',
  resealed: (n: number) => `${n} secret${n > 1 ? 's' : ''} chiffré${n > 1 ? 's' : ''} à nouveau.`,
  resealFailed: (list: string) =>
    `Certains secrets ne s’ouvrent ni avec APP_ENC_KEY ni avec APP_ENC_KEY_PREVIOUS ; ils sont laissés tels quels : ${list}`,
  secretRequiredAgain: 'Saisissez à nouveau le secret pour enregistrer ce changement.',
  secretAgain:
    'Vous avez changé où ou comment le jeton est envoyé (URL de l’API, ID du jeton ou vérification du certificat) : saisissez à nouveau le secret. Un secret enregistré n’est envoyé qu’à l’endroit pour lequel il a été saisi.',
  auditAction: (action: string): string =>
    ({
      'auth.login': 'Connexion',
      'auth.login_failed': 'Connexion refusée',
      'auth.logout': 'Déconnexion',
      'setup.admin_created': 'Compte administrateur créé',
      'setup.code_refused': 'Code d’installation refusé',
      'settings.proxmox_updated': 'Connexion Proxmox modifiée',
      'settings.proxmox_tested': 'Connexion Proxmox testée',
      'settings.cleanup_updated': 'Politique de nettoyage modifiée',
      'settings.secrets_resealed': 'Secrets stockés rechiffrés',
      'settings.access_changed': 'Connexion par Cloudflare Access modifiée',
      'runner.created': 'Runner ajouté',
      'runner.registered': 'Runner enregistré',
      'runner.revoked': 'Runner révoqué',
      'deployment.created': 'Déploiement créé',
      'deployment.cancel_requested': 'Déploiement annulé',
      'deployment.retry_requested': 'Nouvelle tentative',
      'deployment.destroy_requested': 'Détruit',
      'deployment.start_requested': 'Démarré',
      'deployment.stop_requested': 'Arrêté',
      'deployment.restart_requested': 'Redémarré',
      'deployment.auto_destroy': 'Détruit après un échec (politique de nettoyage)',
      'deployment.backup_requested': 'Sauvegardé',
      'deployment.backup_deleted': 'Supprimé une sauvegarde',
      'deployment.snapshot_deleted': 'Supprimé un instantané',
      'deployment.restore_requested': 'Restauré une sauvegarde',
      'orphan.destroy_requested': 'VM orpheline détruite',
      'orphan.auto_destroyed': 'VM orpheline détruite (politique de nettoyage)',
    })[action] ?? action,
  auditTitle: 'Journal d’audit',
  auditEmpty: 'Rien pour l’instant.',
  when: 'Quand',
  who: 'Qui',
  action: 'Action',
  target: 'Cible',
  from: 'Depuis',
  details: 'Détails',
  loadMore: 'Entrées plus anciennes',
  fixFields: 'Certains champs sont à corriger.',
  copy: 'Copier',
  copied: 'Copié',
  copyCommand: 'Copier la commande',
  copyCommands: 'Copier les commandes',
  cancelDialog: 'Annuler',
  done: 'Terminé',
  continue: 'Continuer',
  actions: 'Actions',
}
