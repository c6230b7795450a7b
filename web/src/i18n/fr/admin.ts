import type { enAdmin } from '../en/admin'
import { nf } from './format'

/** French — Proxmox connection, runners, orphans, cleanup settings, the first-run wizard and the template job. */
export const frAdmin: typeof enAdmin = {
  proxmox: {
    legendApi: 'API',
    legendTls: 'TLS',
    legendVms: 'VM',
    legendNetwork: 'Réseau',
    labels: {
      apiUrl: 'URL de l’API',
      node: 'Nœud',
      tokenId: 'ID du jeton d’API',
      tokenSecret: 'Secret du jeton d’API',
      tlsMode: 'Vérification du certificat',
      fingerprint: 'Empreinte SHA-256',
      caPem: 'Certificat de l’AC (PEM)',
      templateVmid: 'VMID du modèle',
      storage: 'Stockage cible',
      backupStorage: 'Stockage des sauvegardes',
      pool: 'Pool de ressources',
      ciUser: 'Utilisateur cloud-init',
      bridge: 'Pont réseau',
      vlan: 'Étiquette VLAN',
      poolCidr: 'Réseau (CIDR)',
      poolStart: 'Première adresse des serveurs',
      poolEnd: 'Dernière adresse des serveurs',
      gateway: 'Passerelle',
      dnsServers: 'Serveurs DNS',
      searchDomain: 'Domaine de recherche (facultatif)',
      sshPort: 'Port SSH',
    },
    help: {
      apiUrl: 'L’adresse de l’interface web Proxmox, par ex. https://pve.lan:8006.',
      node: 'Le nœud qui héberge les nouvelles VM, tel qu’affiché sous Datacenter dans Proxmox.',
      tokenId:
        'Format utilisateur@royaume!nom, par ex. pgd@pve!runner. Gardez « Privilege Separation » activé et ne donnez au jeton que ce que lui donnent les commandes ci-dessous.',
      tokenSecret: 'Affiché une seule fois par Proxmox à la création du jeton.',
      fingerprint:
        'Nœud → System → Certificates → pve-ssl.pem → View Certificate, ou `openssl x509 -in /etc/pve/local/pve-ssl.pem -noout -fingerprint -sha256` sur le nœud.',
      caPem: 'L’AC du cluster : le contenu de /etc/pve/pve-root-ca.pem.',
      templateVmid:
        'Une VM convertie en modèle, avec un lecteur cloud-init (par ex. une image cloud Debian 12 ou Ubuntu 24.04). Les serveurs en sont des clones complets.',
      storage: 'Où vont les disques des clones, par ex. local-lvm.',
      backupStorage:
        'Où vont les sauvegardes : un stockage qui accepte le contenu « Fichier de sauvegarde VZDump » (Centre de données → Stockage), par ex. local, un partage NFS ou un Proxmox Backup Server.',
      pool: 'Le pool de ressources Proxmox où vont les nouvelles VM, par ex. pgd. Donnez au jeton ses droits sur les VM de ce pool seulement : il ne peut alors toucher aucune autre VM. Vide : pas de pool.',
      bridge: 'Le pont réseau des VM, par ex. vmbr0.',
      vlan: 'Étiquette VLAN facultative (1–4094).',
      dnsServers: 'Une à trois adresses, séparées par des virgules.',
      poolCidr:
        'Le réseau des VM, par ex. 192.168.1.0/24. Les serveurs reçoivent une adresse libre de la plage ci-dessous.',
      ciUser:
        'L’utilisateur créé par cloud-init sur la VM ; le runner s’y connecte en SSH sous ce nom.',
    },
    tlsFingerprint: 'Épingler l’empreinte SHA-256 du certificat',
    tlsCa: 'Faire confiance à l’AC du cluster (PEM)',
    tlsInsecure: 'Non sécurisé : ne rien vérifier (déconseillé)',
    insecureWarning:
      'Toute personne sur le chemin entre le runner et Proxmox pourrait lire le jeton. À réserver à un réseau de labo de confiance.',
    setupTitle: 'Préparer Proxmox : un jeton aux droits minimaux',
    setupIntro:
      'Lancez-les sur un nœud Proxmox, en root ; elles reprennent les valeurs ci-dessus. Elles créent des rôles avec les seuls privilèges dont ce produit se sert, le pool, un utilisateur et son jeton (séparation des privilèges activée), et leur donnent ces rôles sur le pool, le modèle, le stockage et le pont. Collez dans le champ ci-dessus le secret qu’affiche « pveum user token add ».',
    setupPve7: 'Sur Proxmox VE 7, omettez les lignes PGDNetwork : SDN.Use n’y existe pas.',
  },

  runnersTitle: 'Runners',
  runnersIntro:
    'Un runner est un petit agent dans votre réseau : il se connecte à ce tableau de bord, prend les tâches et parle à Proxmox pour vous.',
  runnersEmpty: 'Aucun runner : ajoutez-en un pour déployer des serveurs.',
  addRunner: 'Ajouter un runner',
  runnerName: 'Nom du runner',
  runnerNameHelp: 'Ce qui vous dit où il tourne, par exemple le nom de la machine.',
  runnerState: {
    online: 'En ligne',
    offline: 'Hors ligne',
    awaiting_registration: 'En attente d’enregistrement',
    revoked: 'Révoqué',
  },
  revoke: 'Révoquer',
  revokeTitle: (name: string) => `Révoquer « ${name} » ?`,
  revokeBody:
    'Sa clé cesse aussitôt de fonctionner et ses connexions sont fermées. Ses tâches passent à un autre runner.',
  rotateTitle: 'Remplacez maintenant le jeton Proxmox',
  rotateBody: (name: string) =>
    `« ${name} » est révoqué, mais il peut encore garder en mémoire le jeton d’API Proxmox, qui reste valable tant que vous ne l’avez pas remplacé. Sur un nœud Proxmox, en root, lancez :`,
  rotateThen: 'Puis collez le nouveau secret dans',
  rotateDismiss: 'C’est fait, jeton remplacé',
  codeOnce:
    'Le code à usage unique n’est affiché que maintenant : lancez la commande avant de quitter cette page.',
  runnerCommandIntro:
    'Le runner s’installe sur une machine Debian ou Ubuntu de votre réseau qui joint Proxmox et les VM. Depuis une copie de ce projet (npm install && npm run build:runner), avec SSH et sudo sur cette machine, lancez — avec le nom ou l’adresse de votre machine à la place de runner.lan :',
  codeExpires: (time: string) => `Le code fonctionne une fois, jusqu’à ${time}.`,
  runnerInstallHint:
    'Le playbook installe Node.js, Ansible, le runner et son service, l’enregistre et le démarre.',
  runnerManualTitle: 'Ou l’installer à la main sur la machine',
  runnerManualIntro:
    'Les mêmes étapes que le playbook, sur la machine du runner elle-même (Node.js 22 ou plus récent installé d’abord, par exemple depuis NodeSource) :',
  runnerWaiting: 'En attente de la connexion du runner…',
  runnerRegisteredWaiting: 'Enregistré ; en attente de la connexion du runner…',
  runnerConnected: (name: string) => `Le runner « ${name} » est connecté.`,
  runnerWhy:
    'Le tableau de bord ne peut pas joindre votre Proxmox : un runner dans votre réseau se connecte à lui et fait le travail.',

  orphansTitle: 'VM orphelines',
  orphansIntro:
    'Des VM créées par ce produit qu’aucun déploiement ne possède plus : leur déploiement a été supprimé ou est inconnu de ce tableau de bord. Elles occupent toujours les ressources de votre nœud.',
  orphansEmpty: 'Aucune VM orpheline.',
  orphansHow:
    'Un runner en ligne inspecte régulièrement votre nœud Proxmox : il liste les VM qui portent l’étiquette de ce produit et les compare aux déploiements d’ici. Celles qui restent apparaissent dans cette liste.',
  orphansLastSweep: (ago: string) => `Dernière inspection : ${ago}.`,
  orphansNoSweep: 'Aucune inspection pour l’instant : elle a lieu quand un runner est en ligne.',
  orphansPolicyReport:
    'Elles sont seulement signalées, jamais supprimées d’elles-mêmes. Pour changer cela :',
  orphansPolicyDestroy: 'La politique de nettoyage les supprime dès que l’inspection les trouve :',
  orphansFound: (n: number) =>
    n === 1
      ? 'Une VM orpheline a été trouvée sur votre nœud.'
      : `${nf(n)} VM orphelines ont été trouvées sur votre nœud.`,
  orphansReview: 'Voir',
  colVmid: 'N° de VM',
  colReason: 'Raison',
  colFirstSeen: 'Vue pour la première fois',
  orphanReason: {
    unknown_deployment: 'Déploiement inconnu',
    deployment_destroyed: 'Déploiement supprimé',
    duplicate_vm: 'Seconde VM d’un déploiement',
  },
  orphanDestroyLabel: (vmid: number) => `Supprimer la VM ${vmid}`,
  orphanDestroyTitle: (vmid: number) => `Supprimer la VM ${vmid} ?`,
  orphanDestroyBody:
    'Un runner arrête la VM et la supprime avec ses disques dans Proxmox. C’est irréversible.',
  orphanGone: 'Cette VM n’est plus orpheline (ou n’existe plus) ; la liste est actualisée.',

  settingsTitle: 'Paramètres',
  cleanupTitle: 'Nettoyage',
  cleanupIntro:
    'Ce que deviennent les VM dont personne n’a plus besoin. Rien n’est supprimé de soi-même sans votre choix ici.',
  cleanupOnFailure: 'Quand un déploiement échoue',
  cleanupKeep: 'Garder la VM pour le débogage',
  cleanupKeepHelp:
    'Examinez-la dans Proxmox ou en SSH, puis Réessayer ou Supprimer depuis la page du déploiement.',
  cleanupDestroyFailed: 'La supprimer',
  cleanupDestroyFailedHelp:
    'La VM est supprimée avec ses disques dès l’échec du déploiement ; il ne reste rien à examiner.',
  cleanupOrphans: 'VM orphelines (créées par ce produit, dont le déploiement n’existe plus)',
  cleanupReport: 'Signaler seulement',
  cleanupReportHelp: 'Elles sont listées dans Runners → VM orphelines, avec un bouton Supprimer.',
  cleanupAuto: 'Supprimer automatiquement',
  cleanupAutoHelp:
    'L’inspection du runner les supprime dès qu’elle les trouve. Seules les VM créées par ce produit sont concernées.',
  cleanupSaved: 'Politique de nettoyage enregistrée.',

  wizardTitle: 'Configurer Proxmox Game Deployer',
  wizardProgress: 'Progression de la configuration',
  wizardStep: {
    admin: 'Compte administrateur',
    proxmox: 'Connexion Proxmox',
    runner: 'Enregistrer un runner',
    test: 'Tester la connexion',
    template: 'Modèle',
    done: 'Terminé',
  },
  templateTitle: 'Modèle cloud-init',
  templateIntro:
    'Chaque serveur est un clone d’un modèle cloud-init. Le runner peut le préparer pour vous : Proxmox télécharge l’image cloud officielle de Debian sur le nœud (vérifiée avec la somme SHA-512 publiée par Debian), une VM en est créée avec un lecteur cloud-init, une console série et l’agent invité, puis convertie en modèle, que les paramètres sélectionnent ensuite. Le nœud a besoin d’un accès à Internet (ou d’un miroir).',
  templateSelected: (vmid: number) => `Les déploiements clonent le modèle ${vmid}.`,
  templateRelease: 'Version de Debian',
  templateMirror: 'Miroir (facultatif)',
  templateMirrorHelp:
    'Un dossier contenant SHA512SUMS et l’image, si le nœud ne joint pas cloud.debian.org. Vide : celui de Debian.',
  templateImageStorage: 'Stockage de l’image',
  templateImageStorageHelp:
    'Un stockage de fichiers qui accepte le type de contenu « import » (Centre de données → Stockage), en général local.',
  templatePrepare: 'Préparer le modèle',
  templateJobTitle: 'Préparation du modèle',
  templateReady: (vmid: number) => `Le modèle ${vmid} est prêt et sélectionné dans les paramètres.`,
  templateSkip: 'Passer : j’ai préparé un modèle à la main',
  bakeTitle: 'Modèle prêt pour le jeu (Minecraft)',
  bakeIntro:
    'Les déploiements démarrent plus vite depuis un modèle qui a déjà la couche de base du jeu : le runner clone le modèle ci-dessus, installe Java, l’utilisateur du service et les règles par défaut du pare-feu, efface l’identité de la VM (cloud-init, machine-id, clés d’hôte SSH, journaux) et la convertit en un modèle nommé d’après la couche. Les déploiements Minecraft le clonent alors et n’installent que le serveur ; sans modèle à jour, ils partent du modèle ci-dessus et installent tout.',
  bakeJava: 'Java',
  bakeJavaHelp:
    'Minecraft 1.20.5 à 1.21 demande Java 21, 26.1 et plus récent Java 25, 1.18 à 1.20.4 Java 17.',
  bakeStart: 'Préparer le modèle',
  bakeAgain: 'Le préparer à nouveau',
  bakeJobTitle: 'Préparation du modèle prêt pour le jeu',
  bakeCurrent: (name: string, vmid: number) =>
    `Les déploiements Minecraft clonent ${name} (VM ${vmid}).`,
  bakeOutOfDate: (name: string) =>
    `Modèle périmé : la couche de base du jeu a changé depuis la préparation de ${name}. Les déploiements partent du modèle de base jusqu’à ce que vous le prépariez à nouveau.`,
  templateByHand: 'Pour le préparer à la main, voir « Préparer Proxmox » dans le README.',
  saveAndContinue: 'Enregistrer et continuer',
  testIntro: 'Le runner vérifie qu’il joint Proxmox avec ces paramètres.',
  testConnection: 'Tester la connexion',
  testing: 'Test en cours…',
  testResults: 'Résultats du test',
  testedFrom: (name: string) => `Testé depuis le runner « ${name} » :`,
  checkOk: 'réussi',
  checkFailed: 'échoué',
  editProxmox: 'Modifier les paramètres Proxmox',
  finish: 'Terminer',
  finishAnyway: 'Terminer quand même',
  wizardDoneTitle: 'Tout est prêt',
  wizardDoneBody:
    'Le tableau de bord, Proxmox et le runner sont reliés. Déployez votre premier serveur.',
  deployFirst: 'Déployer un serveur',
  goToDashboard: 'Aller au tableau de bord',
}
