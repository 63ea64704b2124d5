import { useId } from "react";

export interface Option {
  value: string;
  label: string;
}

/** A keyboard-usable multi-select: a disclosure with one checkbox per option. */
export function MultiSelect({
  label,
  options,
  value,
  onChange,
  name,
}: {
  label: string;
  options: readonly Option[];
  value: readonly string[];
  onChange: (value: string[]) => void;
  name: string;
}) {
  const id = useId();
  const summary =
    value.length === 0 ? "All" : value.length <= 2 ? value.join(", ") : `${value.slice(0, 2).join(", ")} +${value.length - 2}`;
  const toggle = (option: string, checked: boolean) => {
    const next = checked ? [...value, option] : value.filter((item) => item !== option);
    onChange(options.map((o) => o.value).filter((v) => next.includes(v)));
  };
  return (
    <div className="field label-like">
      <span id={`${id}-label`} className="small muted" style={{ display: "block", marginBottom: "0.2rem" }}>
        {label}
      </span>
      <details className="multi" data-filter={name}>
        <summary aria-labelledby={`${id}-label ${id}-summary`}>
          <span id={`${id}-summary`}>{summary}</span>
        </summary>
        <div className="options" role="group" aria-labelledby={`${id}-label`}>
          {value.length > 0 && (
            <button type="button" className="link small" onClick={() => onChange([])}>
              Clear
            </button>
          )}
          {options.length === 0 && <div className="muted small">No values for this year</div>}
          {options.map((option) => (
            <label key={option.value}>
              <input
                type="checkbox"
                name={name}
                value={option.value}
                checked={value.includes(option.value)}
                onChange={(event) => toggle(option.value, event.target.checked)}
              />
              {option.label}
            </label>
          ))}
        </div>
      </details>
    </div>
  );
}
