import type { Dict } from './en'
import { frAdmin } from './fr/admin'
import { frApp } from './fr/app'
import { frAlerts } from './fr/alerts'
import { frBackups } from './fr/backups'
import { frOperate } from './fr/operate'
import { frSchedules } from './fr/schedules'
import { frSnapshots } from './fr/snapshots'
import { frChanges } from './fr/changes'
import { frDeployments } from './fr/deployments'
import { frPeople } from './fr/people'

/** French (the product's original design is French), in the same parts as the English. */
export const fr: Dict = {
  ...frApp,
  ...frDeployments,
  ...frAdmin,
  ...frBackups,
  ...frAlerts,
  ...frOperate,
  ...frPeople,
  ...frSchedules,
  ...frSnapshots,
  ...frChanges,
}
