/**
 * The problems of a form that failed to submit, listed at its top: the summary takes the focus
 * when it appears (so keyboard and screen-reader users learn the submit failed), and each line is
 * a link that moves the focus to its field. Pair it with fields whose problem is tied to them
 * (TextField, or `aria-describedby={problemIdOf(id)}` on any other control).
 *
 * Usage: keep the problems of the last submit in state, render
 * `<ErrorSummary problems={[{ fieldId: "pool-terms", message: "Terms are required." }]} />`.
 */
import { useEffect, useId, useRef, type MouseEvent } from "react";

/** One problem of a form. */
export interface SummaryProblem {
  /** The id of the field to fix (focused by the link); absent for a form-wide problem. */
  fieldId?: string;
  /** What to fix, in plain words. */
  message: string;
}

interface ErrorSummaryProps {
  /** The problems of the last submit; nothing is shown when empty. */
  problems: readonly SummaryProblem[];
  /** The heading; "There is a problem" by default. */
  title?: string;
}

/** Focuses a field by id without touching location.hash (the dApp's routes live there). */
function focusField(event: MouseEvent<HTMLAnchorElement>, fieldId: string): void {
  event.preventDefault();
  document.getElementById(fieldId)?.focus();
}

export function ErrorSummary({ problems, title = "There is a problem" }: ErrorSummaryProps) {
  const box = useRef<HTMLDivElement>(null);
  const titleId = useId();
  // A new list means a new failed submit: take the focus again, even with the same messages.
  useEffect(() => {
    if (problems.length > 0) box.current?.focus();
  }, [problems]);
  if (problems.length === 0) return null;
  return (
    <div className="error-summary" role="alert" tabIndex={-1} ref={box} aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      <ul>
        {problems.map((problem) => (
          <li key={`${problem.fieldId ?? ""}:${problem.message}`}>
            {problem.fieldId ? (
              <a
                href={`#${problem.fieldId}`}
                onClick={(event) => focusField(event, problem.fieldId!)}
              >
                {problem.message}
              </a>
            ) : (
              problem.message
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
