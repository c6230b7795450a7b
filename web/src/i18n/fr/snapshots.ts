import type { enSnapshots } from '../en/snapshots'

/** Français — les instantanés de la VM d’un déploiement. */
export const frSnapshots: typeof enSnapshots = {
  snapshots: {
    title: 'Instantanés',
    intro:
      'Instantanés Proxmox de la VM de ce serveur. Une modification en prend un d’abord et y revient si elle échoue ; les plus anciens au-delà de la limite sont supprimés après une modification.',
    kept: (n: number, cap: number) => `Conservés : ${n} sur ${cap}`,
    loading: 'Lecture des instantanés…',
    empty: 'Aucun instantané : un est pris avant chaque modification de ce serveur.',
    unavailable: (why: string) => `Les instantanés ne peuvent pas être lus pour l’instant : ${why}`,
    noRunner: 'Aucun runner n’est en ligne pour les lire dans Proxmox.',
    refresh: 'Actualiser',
    colTime: 'Pris le',
    colChange: 'Pris avant',
    colName: 'Nom',
    beforeChange: (what: string) => `la modification : ${what}`,
    secretChanged: (label: string) => `${label} modifié`,
    fieldChange: (label: string, from: string, to: string) => `${label} : ${from} → ${to}`,
    changeSeparator: ' ; ',
    aChange: 'une modification',
    byHand: 'Pris dans Proxmox (hors limite)',
    delete: 'Supprimer',
    deleteLabel: (when: string) => `Supprimer l’instantané pris le ${when}`,
    deleteTitle: (when: string) => `Supprimer l’instantané pris le ${when} ?`,
    deleteBody:
      'La VM ne pourra plus revenir à ce point. Le serveur continue de tourner tel qu’il est.',
    deleted: 'Instantané supprimé.',
    busy: 'Une tâche est en cours sur ce serveur : les instantanés pourront être supprimés une fois terminée.',
  },
}
