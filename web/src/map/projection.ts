import { geoAlbersUsa, geoMercator, geoPath, type GeoProjection } from "d3-geo";
import { feature } from "topojson-client";
import type { Feature, FeatureCollection, Geometry } from "geojson";
import type { GeometryCollection, Topology } from "topojson-specification";
import statesTopology from "us-atlas/states-10m.json";
import { STATE_BY_FIPS } from "./states";

// The US drawn offline: d3-geo's Albers USA composite (lower 48 with Alaska and Hawaii insets) on the us-atlas
// topology, plus a Puerto Rico inset that geoAlbersUsa lacks: a Mercator projection of its own, placed in the
// Gulf of Mexico's bottom-right corner, east of Florida, at 1.5× the scale of the lower 48 so it stays clickable.

export const MAP_WIDTH = 975;
export const MAP_HEIGHT = 610;
const SCALE = 1300;

/** Puerto Rico (and nearby Vieques, Culebra) in lon/lat. */
const PR_BOUNDS = { west: -68.1, east: -65.1, south: 17.8, north: 18.7 };
export const PR_INSET_BOX = { x: 830, y: 540, width: 120, height: 50 };

export interface UsProjection {
  /** [x, y] on the 975×610 canvas, or null where neither the composite nor the inset covers the point. */
  point(longitude: number, latitude: number): [number, number] | null;
  /** The SVG path of a state, drawn with the projection that covers it. */
  statePath(feature: StateFeature): string;
  /** The SVG path of any feature (an eGRID subregion ...); `puertoRico` draws it in the Puerto Rico inset. */
  featurePath(feature: Feature<Geometry>, puertoRico?: boolean): string;
}

export type StateFeature = Feature<Geometry, { name: string }> & { id: string };

export function isInPuertoRico(longitude: number, latitude: number): boolean {
  return (
    longitude >= PR_BOUNDS.west && longitude <= PR_BOUNDS.east && latitude >= PR_BOUNDS.south && latitude <= PR_BOUNDS.north
  );
}

export function createUsProjection(): UsProjection {
  const albers = geoAlbersUsa().scale(SCALE).translate([MAP_WIDTH / 2, MAP_HEIGHT / 2]);
  const puertoRico: GeoProjection = geoMercator()
    .center([(PR_BOUNDS.west + PR_BOUNDS.east) / 2, (PR_BOUNDS.south + PR_BOUNDS.north) / 2])
    .scale(SCALE * 1.5)
    .translate([PR_INSET_BOX.x + PR_INSET_BOX.width / 2, PR_INSET_BOX.y + PR_INSET_BOX.height / 2]);
  const albersPath = geoPath(albers);
  const prPath = geoPath(puertoRico);
  return {
    point(longitude, latitude) {
      if (!Number.isFinite(longitude) || !Number.isFinite(latitude)) return null;
      if (isInPuertoRico(longitude, latitude)) return puertoRico([longitude, latitude]);
      return albers([longitude, latitude]);
    },
    statePath(state) {
      return (state.id === "72" ? prPath(state) : albersPath(state)) ?? "";
    },
    featurePath(shape, inPuertoRico = false) {
      return (inPuertoRico ? prPath(shape) : albersPath(shape)) ?? "";
    },
  };
}

let cachedStates: StateFeature[] | undefined;

/** The 50 states, DC and Puerto Rico (other territories have no eGRID plants worth an inset). */
export function stateFeatures(): StateFeature[] {
  if (!cachedStates) {
    const topology = statesTopology as unknown as Topology<{ states: GeometryCollection<{ name: string }> }>;
    const collection = feature(topology, topology.objects.states) as FeatureCollection<Geometry, { name: string }>;
    cachedStates = collection.features
      .map((f) => ({ ...f, id: String(f.id) }) as StateFeature)
      .filter((f) => f.id in STATE_BY_FIPS);
  }
  return cachedStates;
}
