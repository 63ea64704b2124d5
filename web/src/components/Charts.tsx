import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { FUELS } from "../lib/fuels";
import { formatShare } from "../lib/format";

// Recharts: declarative React components, SVG output, keyboard-reachable tooltips (accessibilityLayer),
// and click events on bars, which keep the map, the bars and the trend in sync.

export interface RankedItem {
  key: string;
  label: string;
  value: number;
}

export function RankedBars({
  items,
  format,
  selected,
  onSelect,
  reference,
  title,
  color = "#0072B2",
}: {
  items: RankedItem[];
  format: (value: number) => string;
  selected?: string | null;
  onSelect?: (key: string) => void;
  reference?: { value: number; label: string };
  title: string;
  color?: string;
}) {
  const height = Math.max(160, items.length * 22 + 40);
  return (
    <figure style={{ margin: 0 }} aria-label={title}>
      <ResponsiveContainer width="100%" height={height}>
        <BarChart data={items} layout="vertical" margin={{ left: 8, right: 24, top: 4, bottom: 4 }} accessibilityLayer>
          <CartesianGrid horizontal={false} stroke="#e4e7eb" />
          <XAxis type="number" tickFormatter={(v: number) => format(v)} fontSize={11} />
          <YAxis type="category" dataKey="label" width={170} fontSize={11} interval={0} />
          <Tooltip formatter={(v) => format(Number(v))} />
          {reference && (
            <ReferenceLine x={reference.value} stroke="#D55E00" strokeDasharray="4 3" label={{ value: reference.label, position: "top", fontSize: 11, fill: "#D55E00" }} />
          )}
          <Bar dataKey="value" name={title} onClick={(entry) => onSelect?.((entry as unknown as RankedItem).key)} cursor={onSelect ? "pointer" : undefined}>
            {items.map((item) => (
              <Cell
                key={item.key}
                fill={selected && selected !== item.key ? "#9ecae9" : color}
                stroke={selected === item.key ? "#12263a" : undefined}
                strokeWidth={selected === item.key ? 2 : 0}
              />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

export interface MixRow {
  key: string;
  label: string;
  [share: string]: number | string;
}

/** 100% stacked bars of the resource mix, one bar per region. */
export function MixBars({ rows, selected, onSelect, title }: { rows: MixRow[]; selected?: string | null; onSelect?: (key: string) => void; title: string }) {
  const used = FUELS.filter((fuel) => rows.some((row) => Number(row[fuel.share] ?? 0) > 0));
  const height = Math.max(140, rows.length * 22 + 70);
  return (
    <figure style={{ margin: 0 }} aria-label={title}>
      <ResponsiveContainer width="100%" height={height}>
        <BarChart data={rows} layout="vertical" stackOffset="expand" margin={{ left: 8, right: 24, top: 4, bottom: 4 }} accessibilityLayer>
          <XAxis type="number" tickFormatter={(v: number) => formatShare(v)} fontSize={11} domain={[0, 1]} />
          <YAxis
            type="category"
            dataKey="label"
            width={150}
            fontSize={11}
            interval={0}
            tick={({ x, y, payload }: { x?: number | string; y?: number | string; payload?: { value?: unknown } }) => (
              <text x={x} y={y} dy={4} textAnchor="end" fontSize={11} fontWeight={selected && rows.find((r) => r.label === payload?.value)?.key === selected ? 700 : 400}>
                {String(payload?.value ?? "")}
              </text>
            )}
          />
          <Tooltip formatter={(v) => formatShare(Number(v))} />
          <Legend wrapperStyle={{ fontSize: 11 }} />
          {used.map((fuel) => (
            <Bar
              key={fuel.share}
              dataKey={fuel.share}
              name={fuel.label}
              stackId="mix"
              fill={fuel.color}
              onClick={(entry) => onSelect?.((entry as unknown as MixRow).key)}
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

export interface TrendSeries {
  key: string;
  label: string;
  points: { year: number; value: number | null }[];
  color: string;
  dashed?: boolean;
  emphasis?: boolean;
}

export function TrendChart({ series, format, title }: { series: TrendSeries[]; format: (v: number) => string; title: string }) {
  const years = [...new Set(series.flatMap((s) => s.points.map((p) => p.year)))].sort((a, b) => a - b);
  const data = years.map((year) => {
    const row: Record<string, number | null> = { year };
    for (const s of series) row[s.key] = s.points.find((p) => p.year === year)?.value ?? null;
    return row;
  });
  return (
    <figure style={{ margin: 0 }} aria-label={title}>
      <ResponsiveContainer width="100%" height={260}>
        <LineChart data={data} margin={{ left: 8, right: 24, top: 8, bottom: 4 }} accessibilityLayer>
          <CartesianGrid stroke="#e4e7eb" />
          <XAxis dataKey="year" type="category" fontSize={11} />
          <YAxis tickFormatter={(v: number) => format(v)} fontSize={11} width={90} />
          <Tooltip formatter={(v) => format(Number(v))} />
          <Legend wrapperStyle={{ fontSize: 11 }} />
          {series.map((s) => (
            <Line
              key={s.key}
              dataKey={s.key}
              name={s.label}
              stroke={s.color}
              strokeWidth={s.emphasis ? 3 : 1.5}
              strokeDasharray={s.dashed ? "5 4" : undefined}
              dot={{ r: s.emphasis ? 4 : 2 }}
              connectNulls
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

/** A word-sized line across years; the last point is marked and labelled for screen readers. */
export function Sparkline({ points, label, format }: { points: { year: number; value: number | null }[]; label: string; format: (v: number) => string }) {
  const known = points.filter((p): p is { year: number; value: number } => p.value !== null && Number.isFinite(p.value));
  if (known.length === 0) return <span className="muted">—</span>;
  const width = 110;
  const height = 26;
  const min = Math.min(...known.map((p) => p.value));
  const max = Math.max(...known.map((p) => p.value));
  const x = (i: number) => (known.length === 1 ? width / 2 : 3 + (i * (width - 6)) / (known.length - 1));
  const y = (v: number) => (max === min ? height / 2 : height - 3 - ((v - min) * (height - 6)) / (max - min));
  const path = known.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join("");
  const last = known[known.length - 1]!;
  const description = `${label}: ${known.map((p) => `${p.year} ${format(p.value)}`).join(", ")}`;
  return (
    <svg className="sparkline" width={width} height={height} role="img" aria-label={description}>
      <title>{description}</title>
      <path d={path} fill="none" stroke="#0072B2" strokeWidth={1.5} />
      <circle cx={x(known.length - 1)} cy={y(last.value)} r={2.5} fill="#D55E00" />
    </svg>
  );
}
