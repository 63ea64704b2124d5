import { describe, expect, it } from "vitest";
import { geoArea } from "d3-geo";
import { isPuertoRicoSubregion, orientForD3, type SubregionFeature } from "./subregions";
import { createUsProjection } from "./projection";

// A square over Kansas, its exterior ring clockwise (as d3-geo reads it) and counter-clockwise (RFC 7946).
const CLOCKWISE = [[-100, 38], [-100, 39], [-99, 39], [-99, 38], [-100, 38]];
const square = (ring: number[][], code = "SPNO"): SubregionFeature => ({
  type: "Feature",
  properties: { code, name: null },
  geometry: { type: "Polygon", coordinates: [ring] },
});

describe("orientForD3", () => {
  it("leaves a small polygon as it is", () => {
    const shape = square(CLOCKWISE);
    expect(orientForD3(shape)).toBe(shape);
  });
  it("rewinds a polygon that would cover the rest of the globe", () => {
    const inverted = square([...CLOCKWISE].reverse());
    expect(geoArea(inverted)).toBeGreaterThan(2 * Math.PI);
    expect(geoArea(orientForD3(inverted))).toBeLessThan(0.01);
  });
  it("rewinds each polygon of a multipolygon on its own", () => {
    const multi: SubregionFeature = {
      type: "Feature",
      properties: { code: "X", name: null },
      geometry: { type: "MultiPolygon", coordinates: [[CLOCKWISE], [[...CLOCKWISE].reverse()]] },
    };
    expect(geoArea(orientForD3(multi))).toBeLessThan(0.01);
  });
});

describe("drawing subregions", () => {
  it("draws a lower-48 subregion with the Albers projection and PRMS in the Puerto Rico inset", () => {
    const projection = createUsProjection();
    expect(projection.featurePath(square(CLOCKWISE))).toMatch(/^M/);
    const pr = square([[-67, 18], [-67, 18.4], [-66, 18.4], [-66, 18], [-67, 18]], "PRMS");
    expect(isPuertoRicoSubregion(pr)).toBe(true);
    expect(isPuertoRicoSubregion(square(CLOCKWISE))).toBe(false);
    expect(projection.featurePath(pr, true)).toMatch(/^M8[3-9]\d/); // inside the inset, x ≈ 830–950
  });
});
