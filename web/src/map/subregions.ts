import { geoArea, geoCentroid } from "d3-geo";
import type { Feature, Geometry, Polygon, MultiPolygon, Position } from "geojson";

// eGRID subregion outlines (GET /api/v1/emissions/subregion-map, the Power Profiler's eGRID2023 rev2 boundaries)
// drawn with the US projection of projection.ts: the lower 48 and the Alaska and Hawaii insets of geoAlbersUsa,
// and Puerto Rico (PRMS) in the project's own inset.

export type SubregionFeature = Feature<Geometry, { code: string; name: string | null }>;

const reverseRings = (rings: Position[][]): Position[][] => rings.map((ring) => [...ring].reverse());

/**
 * d3-geo takes a polygon's exterior ring clockwise (spherical geometry); GeoJSON (RFC 7946) writes it
 * counter-clockwise. A polygon wound the other way covers the rest of the globe (area > 2π sr): rewind it.
 */
export function orientForD3<F extends Feature<Geometry, unknown>>(shape: F): F {
  const geometry = shape.geometry;
  if (geometry.type === "Polygon") {
    const polygon: Polygon = geometry;
    if (geoArea(polygon) <= 2 * Math.PI) return shape;
    return { ...shape, geometry: { ...polygon, coordinates: reverseRings(polygon.coordinates) } };
  }
  if (geometry.type === "MultiPolygon") {
    const multi: MultiPolygon = geometry;
    const coordinates = multi.coordinates.map((rings) =>
      geoArea({ type: "Polygon", coordinates: rings }) > 2 * Math.PI ? reverseRings(rings) : rings,
    );
    return { ...shape, geometry: { ...multi, coordinates } };
  }
  return shape;
}

/** Puerto Rico and the US Virgin Islands (PRMS): drawn in the Puerto Rico inset. */
export function isPuertoRicoSubregion(shape: SubregionFeature): boolean {
  if (shape.properties.code === "PRMS") return true;
  const [longitude, latitude] = geoCentroid(shape);
  return longitude > -68.5 && longitude < -64 && latitude > 17 && latitude < 19;
}
