// Which loaded year holds what a view shows, and the nearest one to the year chosen when it holds nothing.

/** The years (newest first) that hold at least one of `levels`, from /years' levels per year. */
export function yearsWithAny(levelsByYear: Readonly<Record<number, readonly string[]>>, levels: readonly string[]): number[] {
  return Object.entries(levelsByYear)
    .filter(([, held]) => held.some((level) => levels.includes(level)))
    .map(([year]) => Number(year))
    .filter(Number.isFinite)
    .sort((a, b) => b - a);
}

/** The year of `candidates` nearest to `year` (a later one on a tie: newer data), or null; never `year` itself. */
export function nearestYear(year: number | string, candidates: readonly number[]): number | null {
  const chosen = year === "" ? NaN : Number(year);
  let best: number | null = null;
  for (const candidate of candidates) {
    if (candidate === chosen || !Number.isFinite(candidate)) continue;
    if (!Number.isFinite(chosen)) return Math.max(...candidates);
    const distance = Math.abs(candidate - chosen);
    const bestDistance = best === null ? Infinity : Math.abs(best - chosen);
    if (distance < bestDistance || (distance === bestDistance && best !== null && candidate > best)) best = candidate;
  }
  return best;
}

/** "a, b and c" */
export function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

// The names /years gives its levels, in words.
const LEVEL_WORDS: Record<string, string> = {
  plant: "plants",
  generator: "generators",
  unit: "units",
  boiler: "boilers",
  state: "state totals",
  subregion: "subregion rates",
  ba: "balancing authorities",
  nerc: "NERC regions",
  us: "US figures",
  ggl: "grid loss",
  location: "the ZIP code lookup",
};

export function levelWords(level: string): string {
  return LEVEL_WORDS[level] ?? level;
}

/** What a year holds, in words: "generators, subregion rates and US figures", or "nothing". */
export function heldWords(levels: readonly string[] | undefined): string {
  return levels?.length ? listWords(levels.map(levelWords)) : "nothing";
}
