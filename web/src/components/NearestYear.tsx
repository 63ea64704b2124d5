import type { ReactNode } from "react";
import { heldWords, nearestYear } from "../lib/years";

/**
 * Why a view has nothing for the year chosen, and a button to the nearest year that has it.
 * `candidates` are the years that hold what the view shows; `levelsByYear` (from /years) says what the chosen year holds.
 */
export function NearestYear({
  year,
  what,
  candidates,
  levelsByYear,
  onYear,
  reason,
}: {
  year: string;
  what: string;
  candidates: readonly number[];
  levelsByYear?: Readonly<Record<number, readonly string[]>>;
  onYear: (year: string) => void;
  reason?: ReactNode;
}) {
  const nearest = nearestYear(year, candidates);
  const held = levelsByYear ? levelsByYear[Number(year)] : undefined;
  return (
    <div className="notice nearest-year" role="status" data-testid="nearest-year">
      <strong>No {what} for {year}.</strong>{" "}
      {reason ?? (levelsByYear ? <>The data loaded for {year} holds {heldWords(held)}. </> : null)}
      {nearest !== null ? (
        <>
          The nearest year with {what} is {nearest}:{" "}
          <button type="button" className="link" data-testid="nearest-year-button" onClick={() => onYear(String(nearest))}>
            Show {nearest}
          </button>
        </>
      ) : (
        <>No loaded year has {what}.</>
      )}
    </div>
  );
}
