/** The one RunnerHub: every runner's control socket and the queue's dispatcher. */
export function hubStub(env: Env) {
  return env.RUNNER_HUB.get(env.RUNNER_HUB.idFromName('hub'))
}

/** The DeploymentDO of one deployment. */
export function deploymentStub(env: Env, deploymentId: string) {
  return env.DEPLOYMENT.get(env.DEPLOYMENT.idFromName(deploymentId))
}
