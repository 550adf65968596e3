import { useEffect, useReducer, useRef } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { refreshOnce } from "@/lib/api/client";
import { getSession } from "@/lib/session";
import { changesRows, initialLiveState, liveReducer, type LiveMessage } from "./liveState";

const UNAUTHENTICATED = 4401;

/**
 * Watches an execution over WS /api/v1/ws/executions/{id}: authenticates with the first message
 * (the token stays out of URLs and logs), folds the snapshot and events into state, re-reads the
 * rows when a node finishes, reconnects with backoff (a fresh snapshot each time), and refreshes
 * the session once when the server says the token expired.
 */
export function useLiveExecution(executionId: string, finished: boolean) {
  const [state, dispatch] = useReducer(liveReducer, initialLiveState);
  const client = useQueryClient();
  const finishedRef = useRef(finished);
  finishedRef.current = finished;

  useEffect(() => {
    let socket: WebSocket | null = null;
    let stopped = false;
    let attempt = 0;
    let refreshed = false;
    let timer: number | undefined;
    let ping: number | undefined;

    const open = () => {
      const token = getSession()?.accessToken;
      if (!token || stopped) return;
      const protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
      dispatch({ type: "connection", connection: "connecting" });
      socket = new WebSocket(`${protocol}//${window.location.host}/api/v1/ws/executions/${executionId}`);
      socket.onopen = () => {
        attempt = 0;
        socket?.send(JSON.stringify({ action: "auth", token }));
        ping = window.setInterval(() => socket?.readyState === WebSocket.OPEN && socket.send(JSON.stringify({ action: "ping" })), 25_000);
      };
      socket.onmessage = (event: MessageEvent<string>) => {
        let message: LiveMessage;
        try {
          message = JSON.parse(event.data) as LiveMessage;
        } catch {
          return;
        }
        dispatch(message);
        if (message.type !== "error" && changesRows(message)) {
          void client.invalidateQueries({ queryKey: ["executions", executionId] });
          if (message.type === "status_change") void client.invalidateQueries({ queryKey: ["executions", "list"] });
        }
      };
      socket.onclose = (event) => {
        window.clearInterval(ping);
        if (stopped) return;
        if (event.code === UNAUTHENTICATED && !refreshed) {
          refreshed = true;
          void refreshOnce().then((ok) => (ok ? open() : dispatch({ type: "connection", connection: "denied" })));
          return;
        }
        if (event.code === UNAUTHENTICATED) return;
        dispatch({ type: "connection", connection: "closed" });
        // A finished run has nothing more to say; otherwise come back (1 s, 2 s, 4 s ... 15 s).
        if (finishedRef.current) return;
        timer = window.setTimeout(open, Math.min(15_000, 1000 * 2 ** attempt++));
      };
    };
    open();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      window.clearInterval(ping);
      socket?.close();
    };
  }, [executionId, client]);

  return state;
}
