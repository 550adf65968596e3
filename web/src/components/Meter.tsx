/** A labelled 0–100 bar; `good` marks whether the value meets its threshold. */
export function Meter({ label, value, display, good, threshold }: { label: string; value: number; display?: string; good?: boolean; threshold?: string }) {
  const clamped = Math.max(0, Math.min(100, value));
  return (
    <div className="meter">
      <div className="meter-head">
        <span className="meter-label">{label}</span>
        <span className={`meter-value${good === undefined ? "" : good ? " meter-good" : " meter-bad"}`}>{display ?? `${Math.round(value)}%`}</span>
      </div>
      <div className="meter-track" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(clamped)}>
        <div className={`meter-fill${good === false ? " meter-fill-bad" : ""}`} style={{ width: `${clamped}%` }} />
      </div>
      {threshold && <div className="meter-threshold">{threshold}</div>}
    </div>
  );
}
