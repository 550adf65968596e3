import { useState, type FormEvent } from "react";
import { Button, ErrorMessage, TextAreaField } from "@/components";
import { ApiError } from "@/lib/api/errors";
import { actionInfo } from "../types";

export interface GatewayRequest {
  action: string;
  force?: boolean;
  reason?: string | null;
}

interface Props {
  /** The actions the API allows now (`allowed_actions`), in its order. */
  actions: string[];
  onRun: (request: GatewayRequest) => Promise<unknown>;
  disabled?: boolean;
}

/**
 * One button per allowed gateway action. An action that needs a reason (block) asks for it;
 * a refused finalize (quality thresholds not met) offers to finalize anyway, with a reason, as
 * the API allows (`force: true`, audited).
 */
export function GatewayActions({ actions, onRun, disabled }: Props) {
  const [running, setRunning] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [reasonFor, setReasonFor] = useState<{ action: string; force: boolean } | null>(null);
  const [reason, setReason] = useState("");

  async function run(request: GatewayRequest) {
    setRunning(request.action);
    setError(null);
    try {
      await onRun(request);
      setReasonFor(null);
      setReason("");
    } catch (caught) {
      setError(caught);
    } finally {
      setRunning(null);
    }
  }

  const forceable =
    error instanceof ApiError && error.code === "transition_guard_failed" && error.detail.guard === "quality_thresholds" ? (error.detail.action as string | undefined) ?? "finalize_requirements" : null;

  function submitReason(event: FormEvent) {
    event.preventDefault();
    if (reasonFor) void run({ action: reasonFor.action, force: reasonFor.force, reason: reason.trim() || null });
  }

  if (actions.length === 0) return <p className="muted">No actions are available in this state.</p>;
  return (
    <div className="gateway">
      <div className="gateway-buttons">
        {actions.map((action) => {
          const info = actionInfo(action);
          return (
            <Button
              key={action}
              variant={info.tone}
              title={info.description}
              busy={running === action}
              disabled={disabled || (running !== null && running !== action)}
              onClick={() => (info.needsReason ? setReasonFor({ action, force: false }) : void run({ action }))}
            >
              {info.label}
            </Button>
          );
        })}
      </div>
      {error !== null && <ErrorMessage error={error} />}
      {forceable && !reasonFor && (
        <div className="gateway-force">
          <p>You can finalize anyway: the remaining findings are recorded in the audit trail.</p>
          <Button variant="secondary" onClick={() => setReasonFor({ action: forceable, force: true })}>
            Finalize anyway…
          </Button>
        </div>
      )}
      {reasonFor && (
        <form className="gateway-reason stack" onSubmit={submitReason}>
          <TextAreaField
            label={reasonFor.force ? "Why finalize with open findings?" : `Reason to ${actionInfo(reasonFor.action).label.toLowerCase()}`}
            rows={2}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            autoFocus
          />
          <div className="row-end">
            <Button onClick={() => setReasonFor(null)}>Cancel</Button>
            <Button type="submit" variant={reasonFor.force ? "primary" : actionInfo(reasonFor.action).tone} busy={running !== null}>
              {reasonFor.force ? "Finalize anyway" : actionInfo(reasonFor.action).label}
            </Button>
          </div>
        </form>
      )}
    </div>
  );
}
