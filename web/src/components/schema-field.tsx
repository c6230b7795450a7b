import { useId, type ReactNode } from 'react'
import type { FormField } from '../../../core/form-schema'
import type { GameTexts } from '../../../core/games/types'
import { useT } from '../i18n'
import { CheckboxField, Field, SelectField, ErrorText } from './field'

/** A form value as typed: numbers stay strings until validation, so editing is free. */
export type RawValue = string | boolean

/** Help texts may carry a URL (the EULA's): make it a link that opens in a new tab. */
export function Linkify(props: { text: string }): ReactNode {
  const parts = props.text.split(/(https?:\/\/[^\s)]+)/)
  return parts.map((part, i) =>
    i % 2 === 1 ? (
      <a key={i} href={part} target="_blank" rel="noreferrer noopener">
        {part}
      </a>
    ) : (
      part
    ),
  )
}

function humanize(key: string): string {
  const words = key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/**
 * One generated field: a checkbox, a select, a number or a text input, by the schema's type.
 * Its words come from the game module's `texts` in the current language; a field the game left
 * unworded (the core test on the catalogue forbids it) falls back to its humanized key.
 */
export function SchemaField(props: {
  field: FormField
  texts: GameTexts | undefined
  value: RawValue | undefined
  onChange: (value: RawValue) => void
  error?: string
}) {
  const { field } = props
  const text = props.texts?.fields[field.key]
  const optionLabels = props.texts?.options[field.key]
  const label = text?.label ?? humanize(field.key)
  const helpText = text?.help
  const help = helpText ? <Linkify text={helpText} /> : undefined
  const name = `config.${field.key}`

  switch (field.kind) {
    case 'boolean':
      // A required checkbox (the EULA) reads best with its sentence as the label itself.
      return field.required && helpText ? (
        <CheckboxField
          label={<Linkify text={helpText} />}
          name={name}
          checked={props.value === true}
          onChange={props.onChange}
          error={props.error}
        />
      ) : (
        <CheckboxField
          label={label}
          name={name}
          checked={props.value === true}
          onChange={props.onChange}
          error={props.error}
          help={help}
        />
      )
    case 'enum':
      return (
        <SelectField
          label={label}
          name={name}
          value={String(props.value ?? '')}
          options={(field.options ?? []).map((o) => ({ value: o, label: optionLabels?.[o] ?? o }))}
          onChange={props.onChange}
          error={props.error}
          help={help}
        />
      )
    case 'list':
      return (
        <ListField
          label={label}
          name={name}
          value={String(props.value ?? '')}
          onChange={props.onChange}
          error={props.error}
          help={help}
        />
      )
    case 'integer':
    case 'number':
      return (
        <Field
          label={label}
          name={name}
          type="number"
          value={String(props.value ?? '')}
          min={field.minimum}
          max={field.maximum}
          onChange={props.onChange}
          error={props.error}
          help={help}
        />
      )
    case 'string':
      if (field.default === 'latest')
        return <VersionField {...props} label={label} help={help} name={name} />
      return (
        <Field
          label={label}
          name={name}
          value={String(props.value ?? '')}
          maxLength={field.maxLength}
          // A secret players will type (a join password): masked, never the admin's own saved one.
          {...(field.sensitive ? { type: 'password', autoComplete: 'new-password' } : {})}
          onChange={props.onChange}
          error={props.error}
          help={help}
        />
      )
  }
}

/** Several short texts (player names): one per line or separated by commas. */
function ListField(props: {
  label: string
  name: string
  value: string
  onChange: (value: RawValue) => void
  error?: string
  help: ReactNode
}) {
  const id = useId()
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <textarea
        id={id}
        name={props.name}
        rows={3}
        value={props.value}
        spellCheck={false}
        autoCapitalize="off"
        aria-invalid={props.error ? true : undefined}
        aria-describedby={`${id}-help${props.error ? ` ${id}-error` : ''}`}
        onChange={(e) => props.onChange(e.target.value)}
      />
      <HelpAndError id={id} help={props.help} error={props.error} />
    </div>
  )
}

/** A field's help and its error, with the ids its input's aria-describedby names. */
function HelpAndError(props: { id: string; help: ReactNode; error?: string | undefined }) {
  return (
    <>
      <small id={`${props.id}-help`} className="help">
        {props.help}
      </small>
      {props.error ? (
        <small id={`${props.id}-error`} className="error" role="alert">
          <ErrorText text={props.error} />
        </small>
      ) : null}
    </>
  )
}

/** The items of a list field as typed: split on lines, commas and spaces, blanks dropped. */
export function listItems(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean)
}

/** "Latest or pinned": two radios, and a version box when pinned. */
function VersionField(props: {
  value: RawValue | undefined
  onChange: (value: RawValue) => void
  error?: string
  label: string
  help: ReactNode
  name: string
}) {
  const t = useT()
  const id = useId()
  const value = String(props.value ?? 'latest')
  const pinned = value !== 'latest'
  return (
    <fieldset className="inline-fieldset">
      <legend>{props.label}</legend>
      <div className="radio-row">
        <label>
          <input
            type="radio"
            name={`${props.name}-mode`}
            checked={!pinned}
            onChange={() => props.onChange('latest')}
          />{' '}
          {t.versionLatest}
        </label>
        <label>
          <input
            type="radio"
            name={`${props.name}-mode`}
            checked={pinned}
            onChange={() => props.onChange('')}
          />{' '}
          {t.versionPinned}
        </label>
      </div>
      {pinned ? (
        <div className="field">
          <label htmlFor={id}>{t.versionNumber}</label>
          <input
            id={id}
            name={props.name}
            value={value}
            placeholder="1.21.5"
            aria-invalid={props.error ? true : undefined}
            aria-describedby={props.error ? `${id}-error` : `${id}-help`}
            onChange={(e) => props.onChange(e.target.value)}
          />
        </div>
      ) : null}
      <HelpAndError id={id} help={props.help} error={props.error} />
    </fieldset>
  )
}
