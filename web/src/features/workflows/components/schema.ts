/**
 * Reading a node type's config JSON Schema (pydantic's output: properties, required, enum,
 * anyOf [X, null], $ref into $defs, additionalProperties) into the fields of a form. Pure.
 */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  pattern?: string;
  format?: string;
  additionalProperties?: boolean | JsonSchema;
}

export type FieldKind = "enum" | "boolean" | "integer" | "number" | "string" | "string-list" | "object-list" | "map" | "json";

export interface FieldSpec {
  name: string;
  label: string;
  kind: FieldKind;
  schema: JsonSchema;
  required: boolean;
  nullable: boolean;
  description?: string;
  default?: unknown;
}

/** Follow a local `$ref` and fold `anyOf [X, null]` into X marked nullable; keeps the outer title/default/description. */
export function resolveSchema(schema: JsonSchema, root: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  let current = schema;
  let nullable = false;
  if (current.$ref) {
    const name = current.$ref.replace(/^#\/\$defs\//, "");
    current = { ...(root.$defs?.[name] ?? {}), ...withoutRef(current) };
  }
  if (current.anyOf) {
    const options = current.anyOf.filter((option) => option.type !== "null");
    nullable = options.length < current.anyOf.length;
    if (options.length === 1 && options[0]) {
      const inner = resolveSchema(options[0], root).schema;
      const { anyOf: _anyOf, ...outer } = current;
      current = { ...inner, ...outer };
    }
  }
  return { schema: current, nullable };
}

function withoutRef(schema: JsonSchema): JsonSchema {
  const { $ref: _ref, ...rest } = schema;
  return rest;
}

export function fieldKind(schema: JsonSchema): FieldKind {
  if (schema.enum) return "enum";
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "boolean":
      return "boolean";
    case "integer":
      return "integer";
    case "number":
      return "number";
    case "string":
      return "string";
    case "array":
      return schema.items?.type === "string" ? "string-list" : schema.items ? "object-list" : "json";
    case "object":
      return schema.properties ? "json" : "map";
    default:
      return "json";
  }
}

/** The form's fields, required ones first, in the schema's order otherwise. */
export function fieldsOf(root: JsonSchema): FieldSpec[] {
  const required = new Set(root.required ?? []);
  const fields = Object.entries(root.properties ?? {}).map(([name, raw]) => {
    const { schema, nullable } = resolveSchema(raw, root);
    return {
      name,
      label: schema.title ?? name,
      kind: fieldKind(schema),
      schema,
      required: required.has(name),
      nullable,
      description: schema.description,
      default: schema.default,
    } satisfies FieldSpec;
  });
  return [...fields.filter((f) => f.required), ...fields.filter((f) => !f.required)];
}

/** The item schema of an array of objects (switch cases), resolved against the root. */
export function itemSchema(field: FieldSpec, root: JsonSchema): JsonSchema {
  const items = field.schema.items ?? {};
  return { ...resolveSchema(items, root).schema, $defs: root.$defs };
}

/** What the browser can tell before the server does: required, bounds, lengths, pattern, enum. */
export function checkValue(field: FieldSpec, value: unknown): string | null {
  const empty = value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0);
  if (empty) return field.required && !(field.kind === "string-list" || field.kind === "object-list") ? "Required." : field.required && field.schema.minItems ? `Add at least ${field.schema.minItems}.` : null;
  const s = field.schema;
  if ((field.kind === "integer" || field.kind === "number") && typeof value === "number") {
    if (field.kind === "integer" && !Number.isInteger(value)) return "Must be a whole number.";
    if (s.minimum !== undefined && value < s.minimum) return `Must be at least ${s.minimum}.`;
    if (s.exclusiveMinimum !== undefined && value <= s.exclusiveMinimum) return `Must be more than ${s.exclusiveMinimum}.`;
    if (s.maximum !== undefined && value > s.maximum) return `Must be at most ${s.maximum}.`;
  }
  if (field.kind === "string" && typeof value === "string") {
    if (s.minLength !== undefined && value.length < s.minLength) return `Must be at least ${s.minLength} character(s).`;
    if (s.maxLength !== undefined && value.length > s.maxLength) return `Must be at most ${s.maxLength} characters.`;
    if (s.pattern && !new RegExp(s.pattern).test(value)) return "Has characters that are not allowed.";
    if (s.format === "uuid" && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return "Must be an id (UUID).";
  }
  if (field.kind === "enum" && !s.enum?.includes(value)) return `Must be one of ${s.enum?.map(String).join(", ")}.`;
  return null;
}

/** Every field's client-side error for a whole config; empty when it looks valid. */
export function checkConfig(root: JsonSchema, config: Record<string, unknown>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const field of fieldsOf(root)) {
    const error = checkValue(field, config[field.name]);
    if (error) errors[field.name] = error;
  }
  return errors;
}

/** Text for a JSON field: strings as written (they are templates), anything else as JSON. */
export function jsonText(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value, null, 2);
}

/** Parse a JSON field's text: JSON when it is JSON (objects, lists, numbers, true/false/null), else the text itself. */
export function parseJsonText(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  if (/^[[{"\d-]|^(true|false|null)$/.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
