import type { enChanges } from '../en/changes'

/** Français — modifier un serveur déployé : le formulaire, ses différences et leur coût, un retour en arrière. */
export const frChanges: typeof enChanges = {
  changes: {
    edit: 'Modifier',
    editTitle: (name: string) => `Modifier « ${name} »`,
    editIntro:
      'Les mêmes réglages qu’au déploiement. Un instantané de la VM est pris d’abord : si quoi que ce soit échoue, le serveur y revient, tel qu’il était.',
    review: 'Voir les changements',
    close: 'Fermer',
    diffTitle: 'Ce qui va changer',
    colSetting: 'Réglage',
    colBefore: 'Actuel',
    colAfter: 'Après',
    hidden: 'modifié (masqué)',
    sizingLabels: {
      cores: 'Cœurs de processeur',
      memoryMiB: 'Mémoire (Mio)',
      diskGiB: 'Disque (Gio)',
    } as Record<string, string>,
    costTitle: 'Ce que cela coûte',
    costRestart:
      'La VM redémarre pour son nouveau processeur ou sa nouvelle mémoire : les joueurs sont déconnectés une minute.',
    costGame:
      'Le jeu redémarre avec ses nouveaux réglages : les joueurs sont brièvement déconnectés.',
    costLive:
      'Appliqué à chaud, sans redémarrage : la liste blanche est rechargée et les opérateurs ajoutés ou retirés par la console ; les joueurs restent connectés (ceux retirés de la liste blanche sont déconnectés). Si la console échoue, le jeu redémarre à la place.',
    costDisk: (from: number, to: number) =>
      `Le disque passe de ${from} à ${to} Gio. Un disque ne peut que grandir : c’est irréversible.`,
    costUpgrade:
      'Le jeu passe à une version plus récente : les mondes qu’il enregistre ne s’ouvrent plus avec l’ancienne. Seul un retour à l’instantané l’annule.',
    costSnapshot: (cap: number) =>
      `Un instantané est pris d’abord et conservé (les ${cap} derniers sont gardés) ; un changement qui échoue y revient tout seul.`,
    nothing: 'Rien ne changerait.',
    diskShrink: (from: number, to: number) =>
      `Le disque ne peut que grandir : ${to} Gio est moins que ses ${from} Gio.`,
    downgrade: (from: string, to: string) =>
      `Revenir de ${from} à ${to} est refusé : un monde enregistré par ${from} utilise un format plus récent que ${to} ne sait pas lire. Restaurez plutôt une sauvegarde d’avant la mise à jour.`,
    confirm: 'Appliquer les changements',
    confirmTitle: (name: string) => `Appliquer ces changements à « ${name} » ?`,
    rolledBackTitle: 'Le dernier changement a été annulé',
    rolledBack: (why: string) =>
      `Le serveur est tel qu’il était avant le changement. Raison : ${why}`,
    cancelledBack:
      'Le changement a été interrompu et défait : le serveur est tel qu’il était avant.',
    cancelChange: 'Annuler le changement',
    cancelBody:
      'Le changement s’arrête et est défait : le serveur revient à son instantané, tel qu’il était avant.',
    tryAgain: 'Réessayer le changement',
    tryAgainTitle: (name: string) => `Réessayer le changement de « ${name} » ?`,
    tryAgainBody: 'Un nouvel instantané est pris d’abord ; un échec y revient de nouveau.',
    pinned: (version: string) => `Version figée à ${version} : aucune mise à jour n’est proposée.`,
    updateTitle: 'Mise à jour disponible',
    updateBody: (newest: string, installed: string) =>
      `La version ${newest} est sortie ; ce serveur tourne en ${installed}. Un monde sauvegardé par la nouvelle version ne s’ouvre plus dans l’ancienne : seul l’instantané pris d’abord défait la mise à jour.`,
    updateTo: (version: string) => `Mettre à jour en ${version}`,
    updateConfirmTitle: (name: string, version: string) =>
      `Mettre « ${name} » à jour en ${version} ?`,
    updateConfirmBody:
      'Un instantané de la VM est pris d’abord, puis le jeu est réinstallé dans la nouvelle version et redémarré (les joueurs sont brièvement déconnectés). S’il ne répond pas, le serveur revient à l’instantané.',
  },
}
