import { Badge, type Tone } from "@/components";
import { STATE_LABELS } from "../types";

function tone(status: string): Tone {
  if (status === "DONE") return "success";
  if (status === "BLOCKED") return "danger";
  if (status === "DRAFT") return "neutral";
  if (status.startsWith("REQS")) return "info";
  return "accent";
}

export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={tone(status)}>{STATE_LABELS[status] ?? status}</Badge>;
}
