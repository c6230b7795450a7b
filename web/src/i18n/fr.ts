import type { Dict } from './en'
import { frAdmin } from './fr/admin'
import { frApp } from './fr/app'
import { frAlerts } from './fr/alerts'
import { frBackups } from './fr/backups'
import { frChanges } from './fr/changes'
import { frDeployments } from './fr/deployments'

/** French (the product's original design is French), in the same parts as the English. */
export const fr: Dict = {
  ...frApp,
  ...frDeployments,
  ...frAdmin,
  ...frBackups,
  ...frAlerts,
  ...frChanges,
}
