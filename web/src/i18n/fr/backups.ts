import type { enBackups } from '../en/backups'
import { nf } from './format'

/** French — a deployment's backups. */
export const frBackups: typeof enBackups = {
  backups: {
    title: 'Sauvegardes',
    intro: (storage: string) =>
      `Sauvegardes de la VM entière faites par Proxmox (vzdump) sur le stockage « ${storage} » (Réglages → Connexion Proxmox → Stockage des sauvegardes). Seules les sauvegardes de ce serveur sont listées.`,
    now: 'Sauvegarder maintenant',
    nowTitle: (name: string) => `Sauvegarder ${name} maintenant ?`,
    nowBody:
      'Avec sa console (Minecraft avec RCON), le jeu continue de tourner : il cesse d’écrire son monde le temps que Proxmox prenne un instantané. Sans console, la VM s’arrête pour la sauvegarde (le jeu enregistre son monde en s’arrêtant) puis redémarre : les joueurs sont déconnectés pendant ce temps.',
    running: 'Une sauvegarde est en cours : ses étapes et son journal sont ci-dessous.',
    loading: 'Lecture des sauvegardes…',
    empty: 'Aucune sauvegarde pour l’instant.',
    unavailable: (why: string) =>
      `Les sauvegardes ne peuvent pas être lues pour l’instant : ${why}`,
    refresh: 'Actualiser',
    colTime: 'Faite le',
    colSize: 'Taille',
    colKind: 'Type',
    colVersion: 'Version du jeu',
    kind: {
      manual: 'Manuelle',
      scheduled: 'Planifiée',
      safety: 'De sécurité (automatique)',
    },
    protected: 'Protégée',
    protectedHelp:
      'Protégée : elle ne peut pas être supprimée, ni à la main ni par la rétention d’une planification, tant qu’elle n’est pas déprotégée.',
    protect: 'Protéger',
    unprotect: 'Déprotéger',
    protectLabel: (when: string) => `Protéger la sauvegarde du ${when}`,
    unprotectLabel: (when: string) => `Déprotéger la sauvegarde du ${when}`,
    protectedDone:
      'Sauvegarde protégée : elle ne sera pas supprimée tant que vous ne la déprotégez pas.',
    unprotectedDone: 'Sauvegarde déprotégée.',
    delete: 'Supprimer',
    deleteLabel: (when: string) => `Supprimer la sauvegarde faite le ${when}`,
    deleteTitle: (when: string) => `Supprimer la sauvegarde faite le ${when} ?`,
    deleteBody: 'L’archive est retirée du stockage définitivement.',
    deleted: 'Sauvegarde supprimée.',
    restore: 'Restaurer',
    restoreLabel: (when: string) => `Restaurer la sauvegarde faite le ${when}`,
    restoreTitle: (name: string, when: string) => `Restaurer ${name} à sa sauvegarde du ${when} ?`,
    restoreBody:
      'Une sauvegarde de sécurité du serveur dans son état actuel est faite d’abord (listée ici comme « De sécurité »). Puis la VM s’arrête, la sauvegarde remplace son disque et ses réglages, et elle redémarre ; les joueurs sont déconnectés pendant ce temps. Tout ce qui a changé dans le monde depuis cette sauvegarde est remplacé.',
    restoreNew: 'Nouveau serveur à partir d’elle',
    restoreNewLabel: (when: string) =>
      `Créer un nouveau serveur à partir de la sauvegarde du ${when}`,
    restoreNewTitle: (when: string) => `Un nouveau serveur à partir de la sauvegarde du ${when} ?`,
    restoreNewBody:
      'Un nouveau déploiement est créé à partir de cette sauvegarde : même jeu, mêmes réglages et même taille, sa propre VM et une adresse du pool. Ce serveur-ci n’est pas touché. Le nouveau démarre avec le monde tel qu’il était dans la sauvegarde.',
    restoreNewName: 'Nom du nouveau serveur',
    restoreNewConfirm: 'Créer le nouveau serveur',
    restoring: 'Une restauration est en cours : ses étapes et son journal sont ci-dessous.',
    lastFailed: (message: string) => `La dernière sauvegarde a échoué : ${message}`,
    size: (bytes: number) =>
      bytes >= 1024 ** 3
        ? `${nf(Math.round((bytes / 1024 ** 3) * 10) / 10)} Gio`
        : `${nf(Math.max(1, Math.round(bytes / 1024 ** 2)))} Mio`,
  },
}
