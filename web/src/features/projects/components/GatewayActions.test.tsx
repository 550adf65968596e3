import { describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ApiError } from "@/lib/api/errors";
import { GatewayActions } from "./GatewayActions";

describe("GatewayActions", () => {
  it("shows one button per allowed action, in the API's order, and runs the clicked one", async () => {
    const onRun = vi.fn().mockResolvedValue(undefined);
    render(<GatewayActions actions={["finalize_requirements", "block"]} onRun={onRun} />);
    expect(screen.getAllByRole("button").map((b) => b.textContent)).toEqual(["Finalize requirements", "Block"]);
    await userEvent.click(screen.getByRole("button", { name: "Finalize requirements" }));
    expect(onRun).toHaveBeenCalledWith({ action: "finalize_requirements" });
  });

  it("asks for a reason before blocking", async () => {
    const onRun = vi.fn().mockResolvedValue(undefined);
    render(<GatewayActions actions={["block"]} onRun={onRun} />);
    await userEvent.click(screen.getByRole("button", { name: "Block" }));
    expect(onRun).not.toHaveBeenCalled();
    await userEvent.type(screen.getByLabelText("Reason to block"), "Waiting for legal");
    await userEvent.click(screen.getAllByRole("button", { name: "Block" })[1]!);
    expect(onRun).toHaveBeenCalledWith({ action: "block", force: false, reason: "Waiting for legal" });
  });

  it("shows a refused finalize as the API's message and offers to force it with a reason", async () => {
    const refusal = new ApiError(409, {
      error: "transition_guard_failed",
      message: "The requirements do not meet the quality thresholds yet (testability).",
      guard: "quality_thresholds",
    });
    const onRun = vi.fn().mockRejectedValueOnce(refusal).mockResolvedValueOnce(undefined);
    render(<GatewayActions actions={["finalize_requirements"]} onRun={onRun} />);
    await userEvent.click(screen.getByRole("button", { name: "Finalize requirements" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The requirements do not meet the quality thresholds yet (testability).");
    await userEvent.click(screen.getByRole("button", { name: "Finalize anyway…" }));
    await userEvent.type(screen.getByLabelText("Why finalize with open findings?"), "Accepted by the PO");
    await userEvent.click(screen.getByRole("button", { name: "Finalize anyway" }));
    expect(onRun).toHaveBeenLastCalledWith({ action: "finalize_requirements", force: true, reason: "Accepted by the PO" });
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("does not offer force for other refusals", async () => {
    const onRun = vi.fn().mockRejectedValue(new ApiError(409, { error: "transition_guard_failed", message: "No repository is connected.", guard: "repository_connected" }));
    render(<GatewayActions actions={["request_validation"]} onRun={onRun} />);
    await userEvent.click(screen.getByRole("button", { name: "Request code validation" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("No repository is connected.");
    expect(screen.queryByRole("button", { name: "Finalize anyway…" })).toBeNull();
  });

  it("says so when no action is allowed", () => {
    render(<GatewayActions actions={[]} onRun={vi.fn()} />);
    expect(screen.getByText("No actions are available in this state.")).toBeInTheDocument();
  });
});
