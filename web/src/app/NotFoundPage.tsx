import { Link } from "react-router-dom";
import { EmptyState } from "@/components";

export function NotFoundPage() {
  return (
    <EmptyState title="This page does not exist" action={<Link to="/projects">Go to your projects</Link>}>
      The address may be mistyped, or the page moved.
    </EmptyState>
  );
}
