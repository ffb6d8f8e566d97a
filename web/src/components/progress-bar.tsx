/** A labelled progress bar; with no known total it shows an indeterminate bar and the count alone. */
export function ProgressBar({
  label,
  value,
  max,
  done = false,
}: {
  label: string;
  value: number;
  max: number | null;
  done?: boolean;
}) {
  const percent = done ? 100 : max !== null && max > 0 ? Math.min(100, (value / max) * 100) : null;
  const text =
    max !== null
      ? `${value.toLocaleString()} of ${max.toLocaleString()}${percent === null ? '' : ` (${Math.floor(percent)} %)`}`
      : `${value.toLocaleString()}${done ? ', done' : ' so far'}`;
  return (
    <div className="progress-row">
      <span className="progress-label">{label}</span>
      <div
        className={percent === null ? 'progress progress-indeterminate' : 'progress'}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent === null ? undefined : Math.floor(percent)}
        aria-valuetext={text}
      >
        <div className="progress-fill" style={{ width: `${percent ?? 100}%` }} />
      </div>
      <span className="progress-text">{text}</span>
    </div>
  );
}
