import { useT } from '../i18n'
import { CopyButton } from './copy-button'

/** Shell commands, one a line, with one button that copies them all. */
export function Commands(props: { commands: readonly string[]; testId?: string }) {
  const t = useT()
  return (
    <div className="command commands" data-testid={props.testId}>
      <code>
        {props.commands.map((c, i) => (
          <span className="line" key={i}>
            {c}
          </span>
        ))}
      </code>
      <CopyButton text={props.commands.join('\n')} label={t.copyCommands} />
    </div>
  )
}
