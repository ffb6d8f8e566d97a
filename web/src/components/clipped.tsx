/**
 * A value that may be long (ids, messages, CRM text): cut to one line with an ellipsis, the whole of it in the
 * tooltip and for screen readers, so no value breaks a table's layout.
 */
export function Clipped({ text, className }: { text: string; className?: string }) {
  return (
    <span className={className === undefined ? 'clipped' : `clipped ${className}`} title={text}>
      {text}
    </span>
  );
}
