import { app } from './app'

export { AlertsDO } from './alerts/alerts-do'
export { DeploymentDO } from './do/deployment'
export { LoginThrottle } from './do/login-throttle'
export { RunnerHub } from './do/runner-hub'

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>
