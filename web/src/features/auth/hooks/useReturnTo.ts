import { useSearchParams } from "react-router-dom";

/** Where to go after signing in: the `next` parameter when it is a path inside the app. */
export function useReturnTo(): string {
  const [params] = useSearchParams();
  const next = params.get("next");
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/projects";
}
