import { useState } from "react";
import { QueryClientProvider } from "@tanstack/react-query";
import { BrowserRouter } from "react-router-dom";
import { ToastProvider } from "@/components";
import { makeQueryClient } from "@/lib/queryClient";
import { WorkspaceProvider } from "@/lib/workspace";
import { AppRoutes } from "./routes";

export function App() {
  const [client] = useState(makeQueryClient);
  return (
    <QueryClientProvider client={client}>
      <WorkspaceProvider>
        <ToastProvider>
          <BrowserRouter>
            <AppRoutes />
          </BrowserRouter>
        </ToastProvider>
      </WorkspaceProvider>
    </QueryClientProvider>
  );
}
