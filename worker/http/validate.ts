import { zValidator } from '@hono/zod-validator'
import type { ValidationTargets } from 'hono'
import type { z } from 'zod'
import { plainIssue } from '../../core/validation-text'
import { ApiError, type FieldIssue } from './errors'

/** The part of a zod error we read (zod's classic and core errors both have it). */
interface IssueList {
  issues: readonly z.core.$ZodIssue[]
}

/** zod issues → `[{ path: 'ipPool.rangeEnd', message }]`, in plain words ("at most 64 GiB"). */
export function fieldIssues(error: IssueList): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: plainIssue(issue, 'en', issue.path.map(String).at(-1)),
  }))
}

/** The 400 for a failed schema: the message names the first field, details list them all. */
export function invalid(error: IssueList, where: string): ApiError {
  const details = fieldIssues(error)
  const first = details[0]
  const message = first ? `Invalid ${where}: ${first.path}: ${first.message}` : `Invalid ${where}.`
  return new ApiError(400, 'invalid_request', message, { details })
}

/**
 * `zValidator` with the house error envelope. Use for every body, query and param.
 * @example app.post('/', validate('json', LoginBody), (c) => c.req.valid('json'))
 */
export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(
  target: Target,
  schema: T,
) {
  const where = target === 'json' ? 'body' : target
  return zValidator(target, schema, (result) => {
    if (!result.success) throw invalid(result.error, where)
  })
}
