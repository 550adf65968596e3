import type { components } from "@/lib/api/schema";

export type Requirement = components["schemas"]["RequirementRead"];
export type RequirementList = components["schemas"]["RequirementList"];
export type Finding = components["schemas"]["FindingRead"];
export type RequirementIn = components["schemas"]["RequirementIn"];
export type Version = components["schemas"]["VersionRead"];
export type UpsertResult = components["schemas"]["UpsertResponse"];
export type FormatName = NonNullable<components["schemas"]["ImportRequest"]["format"]>;

export const FORMATS: { value: FormatName; label: string; extensions: string[] }[] = [
  { value: "markdown", label: "Markdown", extensions: [".md", ".markdown"] },
  { value: "text", label: "Plain text", extensions: [".txt"] },
  { value: "csv", label: "CSV", extensions: [".csv"] },
  { value: "json", label: "JSON", extensions: [".json"] },
  { value: "yaml", label: "YAML", extensions: [".yaml", ".yml"] },
];

export function toInput(requirement: Requirement): RequirementIn {
  return {
    code: requirement.code,
    text: requirement.text,
    title: requirement.title,
    acceptance_criteria: requirement.acceptance_criteria,
    priority: requirement.priority,
    dependencies: requirement.dependencies,
    tags: requirement.tags,
  };
}
