import { useMemo, useRef, useState } from "react";
import { choroplethScale } from "./UsMap";
import { createUsProjection, MAP_HEIGHT, MAP_WIDTH, PR_INSET_BOX } from "./projection";
import { isPuertoRicoSubregion, orientForD3, type SubregionFeature } from "./subregions";

const NO_DATA = "#e4e7eb";

/**
 * The eGRID subregions as a clickable map: shaded by `values` (a rate, say), `selected` outlined and the
 * `highlighted` ones (a ZIP code's other subregions) hatched in outline; click, Enter or Space picks one.
 */
export function SubregionMap({
  title,
  features,
  values,
  formatValue,
  selected,
  highlighted = [],
  onSelect,
}: {
  title: string;
  features: readonly SubregionFeature[];
  values?: Record<string, number>;
  formatValue?: (value: number) => string;
  selected?: string | null;
  highlighted?: readonly string[];
  onSelect?: (code: string) => void;
}) {
  const projection = useMemo(() => createUsProjection(), []);
  const shapes = useMemo(
    () =>
      features.map((shape) => {
        const oriented = orientForD3(shape);
        return { code: shape.properties.code, name: shape.properties.name, d: projection.featurePath(oriented, isPuertoRicoSubregion(oriented)) };
      }),
    [features, projection],
  );
  const color = useMemo(() => choroplethScale(Object.values(values ?? {})), [values]);
  const wrapper = useRef<HTMLDivElement>(null);
  const [tip, setTip] = useState<{ x: number; y: number; text: string } | null>(null);
  const showTip = (clientX: number, clientY: number, text: string) => {
    const box = wrapper.current?.getBoundingClientRect();
    if (box) setTip({ x: clientX - box.left + 12, y: clientY - box.top + 12, text });
  };
  // the selected subregion last, so its outline is drawn over its neighbours'
  const ordered = [...shapes].sort((a, b) => Number(a.code === selected) - Number(b.code === selected));

  return (
    <div className="map" ref={wrapper} style={{ position: "relative" }}>
      <svg viewBox={`0 0 ${MAP_WIDTH} ${MAP_HEIGHT}`} role="group" aria-label={title} onMouseLeave={() => setTip(null)}>
        <title>{title}</title>
        <rect className="inset-frame" x={PR_INSET_BOX.x - 6} y={PR_INSET_BOX.y - 6} width={PR_INSET_BOX.width + 12} height={PR_INSET_BOX.height + 12} />
        <text x={PR_INSET_BOX.x} y={PR_INSET_BOX.y - 10} fontSize="11" fill="#5b6470">
          Puerto Rico
        </text>
        {ordered.map((shape) => {
          const value = values?.[shape.code];
          const hasValue = value !== undefined && Number.isFinite(value);
          const label = `${shape.code}${shape.name ? ` · ${shape.name}` : ""}: ${hasValue ? (formatValue ? formatValue(value) : String(value)) : "no data"}`;
          const isSelected = selected === shape.code;
          const isHighlighted = highlighted.includes(shape.code);
          return (
            <path
              key={shape.code}
              d={shape.d}
              className={`subregion${isSelected ? " selected" : ""}${isHighlighted ? " highlighted" : ""}`}
              data-subregion={shape.code}
              fill={hasValue ? color(value) : NO_DATA}
              stroke={isSelected ? "#12263a" : isHighlighted ? "#D55E00" : "#ffffff"}
              strokeWidth={isSelected ? 3 : isHighlighted ? 2.5 : 0.8}
              tabIndex={onSelect ? 0 : undefined}
              role={onSelect ? "button" : undefined}
              aria-label={label}
              aria-pressed={onSelect ? isSelected : undefined}
              onMouseMove={(event) => showTip(event.clientX, event.clientY, label)}
              onFocus={(event) => {
                const rect = event.currentTarget.getBoundingClientRect();
                showTip(rect.right, rect.top, label);
              }}
              onBlur={() => setTip(null)}
              onClick={() => onSelect?.(shape.code)}
              onKeyDown={(event) => {
                if (event.key === "Enter" || event.key === " ") {
                  event.preventDefault();
                  onSelect?.(shape.code);
                }
              }}
            />
          );
        })}
      </svg>
      {tip && (
        <div className="tooltip" style={{ left: tip.x, top: tip.y }} role="tooltip">
          {tip.text}
        </div>
      )}
    </div>
  );
}
