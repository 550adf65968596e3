import { describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ApiError, networkError, toApiError } from "@/lib/api/errors";
import { ErrorMessage } from "./ErrorMessage";

describe("ErrorMessage", () => {
  it("shows the API's message and its field errors without the body prefix", () => {
    const error = toApiError(422, {
      detail: { error: "validation_error", message: "The request is invalid: body.email: not an email.", errors: [{ loc: ["body", "email"], msg: "not an email", type: "value_error" }] },
    });
    render(<ErrorMessage error={error} />);
    const alert = screen.getByRole("alert");
    expect(alert).toHaveTextContent("The request is invalid: body.email: not an email.");
    expect(alert).toHaveTextContent("email: not an email");
    expect(alert).toHaveTextContent("Validation error · HTTP 422");
  });

  it("lists per-item errors of a bulk request", () => {
    const error = toApiError(422, {
      detail: { error: "invalid_requirements", message: "2 requirements are invalid.", validation_errors: [{ index: 1, code: "REQ-2", errors: ["unknown dependency REQ-9"] }] },
    });
    render(<ErrorMessage error={error} />);
    expect(screen.getByRole("alert")).toHaveTextContent("Item 2 (REQ-2): unknown dependency REQ-9");
  });

  it("says when to retry a rate-limited request and quotes the correlation id of a 500", () => {
    const { rerender } = render(<ErrorMessage error={new ApiError(429, { error: "rate_limited", message: "Too many requests.", retry_after: 42 })} />);
    expect(screen.getByRole("alert")).toHaveTextContent("Try again in 42 seconds.");
    rerender(<ErrorMessage error={new ApiError(500, { error: "internal_error", message: "Unexpected error.", correlation_id: "abc123" })} />);
    expect(screen.getByRole("alert")).toHaveTextContent("Reference abc123");
  });

  it("explains a network failure and a body that is not the uniform shape", async () => {
    const retry = vi.fn();
    const { rerender } = render(<ErrorMessage error={networkError(new TypeError("Failed to fetch"))} onRetry={retry} />);
    expect(screen.getByRole("alert")).toHaveTextContent("Cannot reach the Trellis server.");
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(retry).toHaveBeenCalledOnce();
    rerender(<ErrorMessage error={toApiError(502, "<html>Bad gateway</html>")} />);
    expect(screen.getByRole("alert")).toHaveTextContent("The server failed (HTTP 502).");
  });

  it("renders nothing without an error", () => {
    const { container } = render(<ErrorMessage error={null} />);
    expect(container).toBeEmptyDOMElement();
  });
});
