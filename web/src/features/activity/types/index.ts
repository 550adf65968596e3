import type { components } from "@/lib/api/schema";

export type AuditRecord = components["schemas"]["AuditRecordRead"];
