import * as z from 'zod'

/**
 * Shapes of the upstream metadata the resolver reads, only the fields it uses (loose objects:
 * new fields upstream must not break us). Sources: docs/minecraft.md#version-resolution.
 */

/** Mojang `version_manifest_v2.json`: `versions` newest first. */
export const MojangManifest = z.looseObject({
  latest: z.looseObject({ release: z.string(), snapshot: z.string() }),
  versions: z.array(
    z.looseObject({
      id: z.string(),
      type: z.string(),
      url: z.url(),
      /** SHA-1 of the per-version JSON (v2 manifest only). */
      sha1: z.string().optional(),
    }),
  ),
})
export type MojangManifest = z.infer<typeof MojangManifest>

/** Mojang per-version JSON. `downloads.server` is missing on ≤ 1.2, `javaVersion` on ≤ 1.6. */
export const MojangVersion = z.looseObject({
  id: z.string(),
  downloads: z.looseObject({
    server: z
      .looseObject({ sha1: z.string().regex(/^[0-9a-f]{40}$/), size: z.number(), url: z.url() })
      .optional(),
  }),
  javaVersion: z.looseObject({ component: z.string(), majorVersion: z.number().int() }).optional(),
})
export type MojangVersion = z.infer<typeof MojangVersion>

/** Fill v3 `GET /v3/projects/paper`: versions grouped, newest group and newest version first. */
export const PaperProject = z.looseObject({
  project: z.looseObject({ id: z.string() }),
  versions: z.record(z.string(), z.array(z.string())),
})
export type PaperProject = z.infer<typeof PaperProject>

/** Fill v3 `GET /v3/projects/paper/versions/{v}`. */
export const PaperVersion = z.looseObject({
  version: z.looseObject({
    id: z.string(),
    java: z
      .looseObject({ version: z.looseObject({ minimum: z.number().int() }).optional() })
      .optional(),
  }),
  builds: z.array(z.number().int()).optional(),
})
export type PaperVersion = z.infer<typeof PaperVersion>

/** One entry of Fill v3 `GET …/versions/{v}/builds` (a JSON array, newest first). */
export const PaperBuild = z.looseObject({
  id: z.number().int(),
  channel: z.enum(['ALPHA', 'BETA', 'STABLE', 'RECOMMENDED']),
  downloads: z.looseObject({
    'server:default': z.looseObject({
      name: z.string(),
      checksums: z.looseObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
      size: z.number().optional(),
      url: z.url(),
    }),
  }),
})
export type PaperBuild = z.infer<typeof PaperBuild>
export const PaperBuilds = z.array(PaperBuild)

/** Fill's error body, e.g. for an unknown version. */
export const FillError = z.looseObject({ ok: z.literal(false), message: z.string() })
