/**
 * Free text an admin types into a game's form (a MOTD, a server name, a password) ends up in an
 * Ansible extra var. The runner marks every extra var unsafe, so Ansible never templates them
 * (runner/src/ansible/unsafe-vars.ts); the schemas also refuse Jinja's opening delimiters, so
 * such text is stopped at the API and in the form, before it is stored.
 */

/** `{{`, `{%` or `{#`: where a Jinja expression, statement or comment starts. */
const TEMPLATE_MARKER = /\{[{%#]/

/** What the API and the form say about a value with a template marker. */
export const TEMPLATE_MARKER_MESSAGE = 'must not contain "{{", "{%" or "{#"'

/** True when `text` holds no Jinja opening delimiter; for `.refine()` on free-text fields. */
export function hasNoTemplateMarker(text: string): boolean {
  return !TEMPLATE_MARKER.test(text)
}
