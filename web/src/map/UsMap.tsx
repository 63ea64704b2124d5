import { useMemo, useRef, useState, type ReactNode } from "react";
import { scaleSequential, scaleSqrt } from "d3-scale";
import { interpolateViridis } from "d3-scale-chromatic";
import { createUsProjection, MAP_HEIGHT, MAP_WIDTH, PR_INSET_BOX, stateFeatures } from "./projection";
import { STATE_BY_FIPS } from "./states";

export interface MapPoint {
  key: string;
  longitude: number;
  latitude: number;
  value: number;
  color: string;
  label: string;
  tooltip: ReactNode;
  onActivate?: () => void;
}

interface Tip {
  x: number;
  y: number;
  content: ReactNode;
}

const NO_DATA = "#e4e7eb";

/** A sequential colour for a value between min and max (viridis: ordered, readable with colour-vision deficiencies). */
export function choroplethScale(values: number[]): (value: number) => string {
  const finite = values.filter(Number.isFinite);
  const min = finite.length ? Math.min(...finite) : 0;
  const max = finite.length ? Math.max(...finite) : 1;
  // Reversed so that larger values are darker.
  const scale = scaleSequential((t: number) => interpolateViridis(1 - t)).domain([min, max === min ? min + 1 : max]);
  return (value) => scale(value);
}

export function UsMap({
  title,
  stateValues,
  formatValue,
  selectedState,
  onSelectState,
  points,
  maxPointRadius = 18,
  legend,
}: {
  title: string;
  stateValues?: Record<string, number>;
  formatValue?: (value: number) => string;
  selectedState?: string | null;
  onSelectState?: (abbr: string) => void;
  points?: MapPoint[];
  maxPointRadius?: number;
  legend?: ReactNode;
}) {
  const projection = useMemo(() => createUsProjection(), []);
  const states = useMemo(() => stateFeatures(), []);
  const wrapper = useRef<HTMLDivElement>(null);
  const [tip, setTip] = useState<Tip | null>(null);

  const color = useMemo(() => choroplethScale(Object.values(stateValues ?? {})), [stateValues]);
  const placed = useMemo(() => {
    if (!points?.length) return [];
    const max = Math.max(...points.map((p) => Math.abs(p.value)).filter(Number.isFinite), 1);
    const radius = scaleSqrt().domain([0, max]).range([1.5, maxPointRadius]);
    return points
      .map((p) => ({ ...p, xy: projection.point(p.longitude, p.latitude), r: radius(Math.abs(p.value) || 0) }))
      .filter((p): p is typeof p & { xy: [number, number] } => p.xy !== null)
      .sort((a, b) => b.r - a.r); // small circles on top of large ones
  }, [points, projection, maxPointRadius]);

  const showTip = (event: { clientX: number; clientY: number }, content: ReactNode) => {
    const box = wrapper.current?.getBoundingClientRect();
    if (!box) return;
    setTip({ x: event.clientX - box.left + 12, y: event.clientY - box.top + 12, content });
  };
  const showTipAt = (element: Element, content: ReactNode) => {
    const rect = element.getBoundingClientRect();
    showTip({ clientX: rect.right, clientY: rect.top }, content);
  };

  return (
    <div className="map" ref={wrapper} style={{ position: "relative" }}>
      <svg viewBox={`0 0 ${MAP_WIDTH} ${MAP_HEIGHT}`} role="img" aria-label={title} onMouseLeave={() => setTip(null)}>
        <title>{title}</title>
        <rect
          className="inset-frame"
          x={PR_INSET_BOX.x - 6}
          y={PR_INSET_BOX.y - 6}
          width={PR_INSET_BOX.width + 12}
          height={PR_INSET_BOX.height + 12}
        />
        <g>
          {states.map((state) => {
            const info = STATE_BY_FIPS[state.id]!;
            const value = stateValues?.[info.abbr];
            const hasValue = value !== undefined && Number.isFinite(value);
            const text = `${info.name}: ${hasValue ? (formatValue ? formatValue(value) : String(value)) : "no data"}`;
            const interactive = Boolean(onSelectState);
            return (
              <path
                key={state.id}
                d={projection.statePath(state)}
                className={`state${selectedState === info.abbr ? " selected" : ""}`}
                data-state={info.abbr}
                fill={hasValue ? color(value) : NO_DATA}
                tabIndex={interactive ? 0 : undefined}
                role={interactive ? "button" : undefined}
                aria-label={text}
                aria-pressed={interactive ? selectedState === info.abbr : undefined}
                onMouseMove={(event) => showTip(event, text)}
                onFocus={(event) => showTipAt(event.currentTarget, text)}
                onBlur={() => setTip(null)}
                onClick={() => onSelectState?.(info.abbr)}
                onKeyDown={(event) => {
                  if (event.key === "Enter" || event.key === " ") {
                    event.preventDefault();
                    onSelectState?.(info.abbr);
                  }
                }}
              />
            );
          })}
        </g>
        <text x={PR_INSET_BOX.x} y={PR_INSET_BOX.y - 10} fontSize="11" fill="#5b6470">
          Puerto Rico
        </text>
        {placed.length > 0 && (
          <g aria-label={`${placed.length} plants`}>
            {placed.map((p) => (
              <circle
                key={p.key}
                className="plant"
                cx={p.xy[0]}
                cy={p.xy[1]}
                r={p.r}
                fill={p.color}
                tabIndex={p.onActivate ? 0 : undefined}
                role={p.onActivate ? "link" : undefined}
                aria-label={p.label}
                onMouseMove={(event) => showTip(event, p.tooltip)}
                onFocus={(event) => showTipAt(event.currentTarget, p.tooltip)}
                onBlur={() => setTip(null)}
                onClick={p.onActivate}
                onKeyDown={(event) => {
                  if (event.key === "Enter") p.onActivate?.();
                }}
              />
            ))}
          </g>
        )}
      </svg>
      {tip && (
        <div className="tooltip" style={{ left: tip.x, top: tip.y }} role="tooltip">
          {tip.content}
        </div>
      )}
      {legend}
    </div>
  );
}

export function GradientLegend({ values, format, label }: { values: number[]; format: (v: number) => string; label: string }) {
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return null;
  const color = choroplethScale(finite);
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const stops = Array.from({ length: 11 }, (_, i) => color(min + ((max - min) * i) / 10));
  return (
    <div className="legend" aria-label={`Colour scale for ${label}`}>
      <span>{format(min)}</span>
      <span className="gradient" style={{ background: `linear-gradient(to right, ${stops.join(",")})` }} />
      <span>{format(max)}</span>
      <span className="muted">{label}</span>
      <span>
        <span className="swatch" style={{ background: NO_DATA }} />
        no data
      </span>
    </div>
  );
}
