import type { components } from "@/lib/api/schema";

export type User = components["schemas"]["UserRead"];
export type SignInSession = components["schemas"]["trellis__auth__schemas__SessionRead"];
export type ApiToken = components["schemas"]["ApiTokenRead"];
export type ApiTokenCreated = components["schemas"]["ApiTokenCreated"];
export type ApiTokenCreate = components["schemas"]["ApiTokenCreate"];
