import * as z from 'zod'

/**
 * The zod schemas the hand checks of answers.ts stand for (the runner does not import this file;
 * test/proxmox/answers.test.ts runs both over the same inputs).
 */

export const VmStatus = z.object({
  status: z.string(),
  lock: z.string().optional(),
  template: z.union([z.number(), z.boolean()]).optional(),
  name: z.string().optional(),
  tags: z.string().optional(),
})

export const QemuList = z.array(
  z.object({
    vmid: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]),
    name: z.string().optional(),
    tags: z.string().optional(),
    status: z.string(),
    lock: z.string().optional(),
    template: z.union([z.number(), z.boolean()]).optional(),
  }),
)

export const TaskStatus = z.object({
  status: z.enum(['running', 'stopped']),
  exitstatus: z.string().optional(),
})

export const TaskLog = z.array(z.object({ n: z.number(), t: z.string() }))

export const NextId = z.union([z.string().regex(/^\d+$/).transform(Number), z.number().int()])
