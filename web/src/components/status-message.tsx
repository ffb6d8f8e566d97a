/** The outcome of an action the operator just took, announced politely to screen readers. */
export function StatusMessage({ message }: { message: { tone: 'good' | 'bad'; text: string } | undefined }) {
  return (
    <p className={message?.tone === 'bad' ? 'status-line status-bad' : 'status-line'} role="status">
      {message?.text ?? ''}
    </p>
  );
}
