import { useState } from "react";
import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { SchemaForm } from "./SchemaForm";
import { checkConfig, fieldsOf, parseJsonText, type JsonSchema } from "./schema";

// Real schemas from GET /api/v1/node-types (pydantic output).
const HTTP: JsonSchema = {
  additionalProperties: false,
  properties: {
    method: { default: "GET", enum: ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"], title: "Method", type: "string" },
    url: { description: "Template; must render to an http(s) URL.", minLength: 1, title: "Url", type: "string" },
    headers: { additionalProperties: { type: "string" }, title: "Headers", type: "object" },
    body: { default: null, description: "JSON body (templates allowed).", title: "Body" },
    timeout_seconds: { default: 30.0, exclusiveMinimum: 0, maximum: 600, title: "Timeout Seconds", type: "number" },
    fail_on_status: { default: true, title: "Fail On Status", type: "boolean" },
  },
  required: ["url"],
  title: "HttpRequestConfig",
  type: "object",
};

const SWITCH: JsonSchema = {
  $defs: {
    SwitchCase: {
      additionalProperties: false,
      properties: { name: { maxLength: 100, minLength: 1, pattern: "^[A-Za-z0-9_\\-]+$", title: "Name", type: "string" }, equals: { default: null, title: "Equals" } },
      required: ["name"],
      title: "SwitchCase",
      type: "object",
    },
  },
  properties: {
    value: { anyOf: [{ type: "string" }, { type: "null" }], default: null, description: "Expression compared with each case's 'equals'.", title: "Value" },
    cases: { items: { $ref: "#/$defs/SwitchCase" }, minItems: 1, title: "Cases", type: "array" },
  },
  required: ["cases"],
  type: "object",
};

function Harness({ schema, initial, serverErrors, choices }: { schema: JsonSchema; initial: Record<string, unknown>; serverErrors?: Record<string, string[]>; choices?: Record<string, { value: string; label: string }[]> }) {
  const [value, setValue] = useState(initial);
  return (
    <>
      <SchemaForm schema={schema} value={value} onChange={setValue} serverErrors={serverErrors} choices={choices} />
      <output data-testid="value">{JSON.stringify(value)}</output>
    </>
  );
}

const current = () => JSON.parse(screen.getByTestId("value").textContent ?? "{}") as Record<string, unknown>;

describe("fieldsOf", () => {
  it("reads kinds, required first, and folds anyOf-null and $ref", () => {
    expect(fieldsOf(HTTP).map((f) => [f.name, f.kind, f.required])).toEqual([
      ["url", "string", true],
      ["method", "enum", false],
      ["headers", "map", false],
      ["body", "json", false],
      ["timeout_seconds", "number", false],
      ["fail_on_status", "boolean", false],
    ]);
    const [cases, value] = fieldsOf(SWITCH);
    expect(cases).toMatchObject({ name: "cases", kind: "object-list", required: true });
    expect(value).toMatchObject({ name: "value", kind: "string", nullable: true });
  });

  it("checks bounds and required fields the way the server will", () => {
    expect(checkConfig(HTTP, { timeout_seconds: 0 })).toEqual({ url: "Required.", timeout_seconds: "Must be more than 0." });
    expect(checkConfig(HTTP, { url: "https://x", method: "GET", timeout_seconds: 10 })).toEqual({});
  });

  it("keeps text that is not JSON as a template", () => {
    expect(parseJsonText('{"a": 1}')).toEqual({ a: 1 });
    expect(parseJsonText("Hello {{ input.name }}")).toBe("Hello {{ input.name }}");
    expect(parseJsonText("{{ input }}")).toBe("{{ input }}");
    expect(parseJsonText("42")).toBe(42);
    expect(parseJsonText("  ")).toBeUndefined();
  });
});

describe("SchemaForm", () => {
  it("edits each kind of field into the config object", async () => {
    const user = userEvent.setup();
    render(<Harness schema={HTTP} initial={{ url: "https://a.test" }} />);
    await user.selectOptions(screen.getByLabelText("Method"), "POST");
    const url = screen.getByLabelText(/^Url/);
    await user.clear(url);
    await user.type(url, "https://api.test/{{{{ input.id }}");
    await user.type(screen.getByLabelText("Timeout Seconds"), "12.5");
    await user.click(screen.getByLabelText("Fail On Status"));
    await user.type(screen.getByLabelText("Body"), '{{"id": 1}');
    expect(current()).toEqual({ url: "https://api.test/{{ input.id }}", method: "POST", timeout_seconds: 12.5, fail_on_status: false, body: { id: 1 } });
  });

  it("drops a cleared optional field so the default applies, and flags a cleared required one", async () => {
    const user = userEvent.setup();
    render(<Harness schema={HTTP} initial={{ url: "https://a.test", timeout_seconds: 5 }} />);
    await user.clear(screen.getByLabelText("Timeout Seconds"));
    const url = screen.getByLabelText(/^Url/);
    await user.clear(url);
    await user.tab();
    expect(current()).toEqual({});
    expect(url).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText("Required.")).toBeInTheDocument();
  });

  it("shows the server's message under the offending field", () => {
    render(<Harness schema={HTTP} initial={{ url: "ftp://x" }} serverErrors={{ url: ["URL must be http or https"] }} />);
    const url = screen.getByLabelText(/^Url/);
    expect(url).toHaveAttribute("aria-invalid", "true");
    expect(url).toHaveAccessibleDescription(/URL must be http or https/);
  });

  it("edits a list of objects through the item schema", async () => {
    const user = userEvent.setup();
    render(<Harness schema={SWITCH} initial={{ cases: [{ name: "a", equals: "a" }] }} />);
    await user.click(screen.getByRole("button", { name: "Add case" }));
    const second = screen.getByRole("group", { name: "Cases 2" });
    await user.type(within(second).getByLabelText(/^Name/), "b");
    await user.type(within(second).getByLabelText("Equals"), "2");
    expect(current()).toEqual({ cases: [{ name: "a", equals: "a" }, { name: "b", equals: 2 }] });
    await user.click(within(screen.getByRole("group", { name: "Cases 1" })).getByRole("button", { name: "Remove" }));
    expect(current()).toEqual({ cases: [{ name: "b", equals: 2 }] });
  });

  it("offers existing agents for an id field, and keeps an id it cannot find visible as such", async () => {
    const AGENT: JsonSchema = {
      properties: {
        agent_id: { format: "uuid", title: "Agent Id", type: "string" },
        prompt: { default: "{{ input }}", maxLength: 100000, title: "Prompt", type: "string" },
      },
      required: ["agent_id"],
      type: "object",
    };
    const gone = "99999999-9999-4999-8999-999999999999";
    const user = userEvent.setup();
    render(<Harness schema={AGENT} initial={{ agent_id: gone }} choices={{ agent_id: [{ value: "11111111-1111-4111-8111-111111111111", label: "Reviewer (gpt-4o)" }] }} />);
    const select = screen.getByLabelText(/^Agent Id/);
    expect(select).toHaveDisplayValue(`${gone} (not found)`);
    await user.selectOptions(select, "Reviewer (gpt-4o)");
    expect(current()).toEqual({ agent_id: "11111111-1111-4111-8111-111111111111" });
  });
});
