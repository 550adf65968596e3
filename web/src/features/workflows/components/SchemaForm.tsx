import { useEffect, useId, useState } from "react";
import { Button } from "@/components";
import { checkValue, fieldsOf, itemSchema, jsonText, parseJsonText, type FieldSpec, type JsonSchema } from "./schema";

interface SchemaFormProps {
  schema: JsonSchema;
  value: Record<string, unknown>;
  onChange: (next: Record<string, unknown>) => void;
  /** Messages from the server per field (the 422 problems), shown under the field. */
  serverErrors?: Record<string, string[]>;
  /** Fields whose value is an id of something that exists (an agent, a workflow): a select instead of a text box. */
  choices?: Record<string, { value: string; label: string }[]>;
  disabled?: boolean;
}

/** A form generated from a JSON Schema: one control per property, with the browser's checks and the server's errors. */
export function SchemaForm({ schema, value, onChange, serverErrors, choices, disabled }: SchemaFormProps) {
  const fields = fieldsOf(schema);
  if (fields.length === 0) return <p className="muted small">This node has nothing to configure.</p>;
  const set = (name: string, next: unknown) => {
    const copy = { ...value };
    if (next === undefined) delete copy[name];
    else copy[name] = next;
    onChange(copy);
  };
  return (
    <div className="schema-form">
      {fields.map((field) => (
        <SchemaField
          key={field.name}
          field={field}
          root={schema}
          value={value[field.name]}
          onChange={(next) => set(field.name, next)}
          errors={[...(serverErrors?.[field.name] ?? [])]}
          choices={choices?.[field.name]}
          disabled={disabled}
        />
      ))}
    </div>
  );
}

function SchemaField({ field, root, value, onChange, errors, choices, disabled }: { field: FieldSpec; root: JsonSchema; value: unknown; onChange: (next: unknown) => void; errors: string[]; choices?: { value: string; label: string }[]; disabled?: boolean }) {
  const id = useId();
  const [touched, setTouched] = useState(false);
  const local = touched ? checkValue(field, value) : null;
  const shown = [...(local ? [local] : []), ...errors];
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [field.description ? hintId : null, shown.length ? errorId : null].filter(Boolean).join(" ") || undefined;
  const common = {
    id,
    "aria-describedby": describedBy,
    "aria-invalid": shown.length > 0 ? true : undefined,
    "aria-required": field.required || undefined,
    disabled,
    onBlur: () => setTouched(true),
  };
  const placeholder = field.default !== undefined && field.default !== null ? `default: ${typeof field.default === "string" ? field.default : JSON.stringify(field.default)}` : undefined;
  let control;
  if (choices && field.kind === "string") {
    const known = typeof value !== "string" || value === "" || choices.some((c) => c.value === value);
    control = (
      <select className="input" {...common} value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.target.value || undefined)}>
        <option value="">{choices.length ? "Choose…" : "None in this workspace yet"}</option>
        {!known && <option value={value}>{`${value} (not found)`}</option>}
        {choices.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </select>
    );
  } else {
    switch (field.kind) {
      case "enum":
        control = (
          <select className="input" {...common} value={typeof value === "string" || typeof value === "number" ? String(value) : ""} onChange={(e) => onChange(e.target.value === "" ? undefined : field.schema.enum?.find((option) => String(option) === e.target.value))}>
            {!field.required && <option value="">{placeholder ? `Default (${String(field.default)})` : "—"}</option>}
            {field.schema.enum?.map((option) => (
              <option key={String(option)} value={String(option)}>
                {String(option)}
              </option>
            ))}
          </select>
        );
        break;
      case "boolean":
        control = (
          <label className="checkbox">
            <input type="checkbox" {...common} checked={value === undefined ? Boolean(field.default) : Boolean(value)} onChange={(e) => onChange(e.target.checked)} />
            <span>{field.label}</span>
          </label>
        );
        break;
      case "integer":
      case "number":
        control = (
          <input
            className="input"
            type="number"
            inputMode={field.kind === "integer" ? "numeric" : "decimal"}
            step={field.kind === "integer" ? 1 : "any"}
            min={field.schema.minimum}
            max={field.schema.maximum}
            placeholder={placeholder}
            {...common}
            value={typeof value === "number" ? value : ""}
            onChange={(e) => onChange(e.target.value === "" ? (field.nullable ? null : undefined) : Number(e.target.value))}
          />
        );
        break;
      case "string": {
        const long = (field.schema.maxLength ?? 0) > 500 || /template|expression/i.test(field.description ?? "");
        const props = { className: `input${long ? " mono" : ""}`, placeholder, ...common, value: typeof value === "string" ? value : "", onChange: (e: { target: { value: string } }) => onChange(e.target.value === "" ? undefined : e.target.value) };
        control = long ? <textarea rows={3} {...props} /> : <input type="text" spellCheck={false} {...props} />;
        break;
      }
      case "string-list":
        control = (
          <textarea
            className="input mono"
            rows={3}
            placeholder="One per line"
            {...common}
            value={Array.isArray(value) ? value.join("\n") : ""}
            onChange={(e) => {
              const items = e.target.value.split("\n").map((line) => line.trim());
              onChange(items.some(Boolean) ? items.filter((item, index) => item || index === items.length - 1).filter(Boolean) : undefined);
            }}
          />
        );
        break;
      case "object-list":
        control = <ObjectList field={field} root={root} value={Array.isArray(value) ? (value as Record<string, unknown>[]) : []} onChange={onChange} disabled={disabled} />;
        break;
      default:
        control = <JsonInput common={common} value={value} onChange={onChange} placeholder={placeholder ?? (field.kind === "map" ? '{"key": "value"}' : "JSON, or text (a template)")} />;
    }
  }
  return (
    <div className={`field${shown.length ? " field-invalid" : ""}`}>
      {field.kind !== "boolean" && (
        <label htmlFor={id}>
          {field.label}
          {field.required && (
            <span className="required-mark" aria-hidden="true">
              {" "}
              *
            </span>
          )}
        </label>
      )}
      {control}
      {field.description && (
        <p className="field-hint" id={hintId}>
          {field.description}
        </p>
      )}
      {shown.length > 0 && (
        <p className="field-error" id={errorId}>
          {shown.join(" ")}
        </p>
      )}
    </div>
  );
}

/** A JSON value edited as text: kept as typed while it does not parse, stored as JSON when it does, or as text (templates). */
function JsonInput({ common, value, onChange, placeholder }: { common: Record<string, unknown>; value: unknown; onChange: (next: unknown) => void; placeholder?: string }) {
  const [text, setText] = useState(() => jsonText(value));
  useEffect(() => {
    // Follow outside changes (another node selected, a version restored) without fighting the typist.
    if (JSON.stringify(parseJsonText(text)) !== JSON.stringify(value)) setText(jsonText(value));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);
  return (
    <textarea
      className="input mono"
      rows={3}
      spellCheck={false}
      placeholder={placeholder}
      {...common}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        onChange(parseJsonText(e.target.value));
      }}
    />
  );
}

function ObjectList({ field, root, value, onChange, disabled }: { field: FieldSpec; root: JsonSchema; value: Record<string, unknown>[]; onChange: (next: unknown) => void; disabled?: boolean }) {
  const item = itemSchema(field, root);
  return (
    <div className="object-list">
      {value.map((entry, index) => (
        <fieldset key={index} className="object-list-item">
          <legend>
            {field.label} {index + 1}
          </legend>
          <SchemaForm schema={item} value={entry} disabled={disabled} onChange={(next) => onChange(value.map((old, i) => (i === index ? next : old)))} />
          <Button size="sm" variant="ghost" disabled={disabled} onClick={() => onChange(value.filter((_, i) => i !== index))}>
            Remove
          </Button>
        </fieldset>
      ))}
      <Button size="sm" disabled={disabled} onClick={() => onChange([...value, {}])}>
        Add {field.label.replace(/s$/, "").toLowerCase()}
      </Button>
    </div>
  );
}
