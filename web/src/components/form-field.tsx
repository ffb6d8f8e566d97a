import { useId, type ReactNode } from 'react';

/**
 * A caption above a form control, tied to it with `for`/`id` rather than by wrapping: a wrapping label would
 * make the selected option's text part of a select's name ("Owner Default…").
 */
export function FormField({
  label,
  className,
  children,
}: {
  label: string;
  className?: string;
  children: (id: string) => ReactNode;
}) {
  const id = useId();
  return (
    <div className={className === undefined ? 'inline-field' : `inline-field ${className}`}>
      <label htmlFor={id}>{label}</label>
      {children(id)}
    </div>
  );
}
