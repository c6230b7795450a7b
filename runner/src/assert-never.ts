/** Exhaustiveness check for switches over unions: a new member fails the typecheck here. */
export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`)
}
