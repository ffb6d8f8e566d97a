import { useEffect, useRef, type ReactNode } from 'react';

/**
 * The page's one h1. It takes the focus when the page opens, so keyboard and screen-reader users land on the
 * new page's content after following a link, and it names the browser tab.
 */
export function PageTitle({ title, children }: { title: string; children?: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Syncline`;
    heading.current?.focus();
  }, [title]);
  return (
    <div className="page-title">
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {children === undefined ? null : <div className="page-actions">{children}</div>}
    </div>
  );
}
