import { createUsProjection, isInPuertoRico, MAP_HEIGHT, MAP_WIDTH, PR_INSET_BOX, stateFeatures } from "./projection";
import { STATE_BY_FIPS } from "./states";

const projection = createUsProjection();
const inside = (xy: [number, number] | null) => xy !== null && xy[0] >= 0 && xy[0] <= MAP_WIDTH && xy[1] >= 0 && xy[1] <= MAP_HEIGHT;

describe("US projection", () => {
  it("places the lower 48 in the frame, west to the left and north up", () => {
    const seattle = projection.point(-122.33, 47.61);
    const miami = projection.point(-80.19, 25.76);
    const omaha = projection.point(-95.94, 41.26);
    expect(inside(seattle) && inside(miami) && inside(omaha)).toBe(true);
    expect(seattle![0]).toBeLessThan(omaha![0]);
    expect(omaha![0]).toBeLessThan(miami![0]);
    expect(seattle![1]).toBeLessThan(miami![1]);
  });

  it("draws Alaska and Hawaii as insets in the bottom-left", () => {
    const anchorage = projection.point(-149.9, 61.22);
    const honolulu = projection.point(-157.86, 21.31);
    expect(inside(anchorage)).toBe(true);
    expect(inside(honolulu)).toBe(true);
    expect(anchorage![0]).toBeLessThan(MAP_WIDTH / 3);
    expect(anchorage![1]).toBeGreaterThan(MAP_HEIGHT / 2);
    expect(honolulu![0]).toBeLessThan(MAP_WIDTH / 2);
    expect(honolulu![1]).toBeGreaterThan(MAP_HEIGHT * 0.75);
  });

  it("draws Puerto Rico in its own inset box, which geoAlbersUsa alone cannot", () => {
    const sanJuan = projection.point(-66.1, 18.45);
    expect(isInPuertoRico(-66.1, 18.45)).toBe(true);
    expect(sanJuan).not.toBeNull();
    const [x, y] = sanJuan!;
    expect(x).toBeGreaterThanOrEqual(PR_INSET_BOX.x);
    expect(x).toBeLessThanOrEqual(PR_INSET_BOX.x + PR_INSET_BOX.width);
    expect(y).toBeGreaterThanOrEqual(PR_INSET_BOX.y);
    expect(y).toBeLessThanOrEqual(PR_INSET_BOX.y + PR_INSET_BOX.height);
  });

  it("returns null for points outside every inset, and for missing coordinates", () => {
    expect(projection.point(2.35, 48.85)).toBeNull(); // Paris
    expect(projection.point(Number.NaN, 40)).toBeNull();
  });

  it("has a path for every state, DC and Puerto Rico, inside the frame", () => {
    const features = stateFeatures();
    expect(features.map((f) => STATE_BY_FIPS[f.id]!.abbr).sort()).toHaveLength(52);
    for (const state of features) {
      const d = projection.statePath(state);
      expect(d.length, STATE_BY_FIPS[state.id]!.abbr).toBeGreaterThan(10);
    }
    const pr = features.find((f) => f.id === "72")!;
    const [[x0, y0], [x1, y1]] = boundsOf(projection.statePath(pr));
    expect(x0).toBeGreaterThanOrEqual(PR_INSET_BOX.x - 1);
    expect(x1).toBeLessThanOrEqual(PR_INSET_BOX.x + PR_INSET_BOX.width + 1);
    expect(y0).toBeGreaterThanOrEqual(PR_INSET_BOX.y - 1);
    expect(y1).toBeLessThanOrEqual(PR_INSET_BOX.y + PR_INSET_BOX.height + 1);
  });
});

function boundsOf(path: string): [[number, number], [number, number]] {
  const numbers = path.match(/-?\d+(\.\d+)?/g)!.map(Number);
  const xs = numbers.filter((_, i) => i % 2 === 0);
  const ys = numbers.filter((_, i) => i % 2 === 1);
  return [
    [Math.min(...xs), Math.min(...ys)],
    [Math.max(...xs), Math.max(...ys)],
  ];
}
