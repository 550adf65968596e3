import { useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate } from "react-router-dom";
import { Button, ErrorMessage, TextField } from "@/components";
import { requestCode, signInWithPassword, verifyCode } from "../api/auth";
import { useReturnTo } from "../hooks/useReturnTo";
import { AuthLayout } from "./AuthLayout";
import type { SignInMethod } from "../types";

type Method = SignInMethod;

export function SignInPage() {
  const navigate = useNavigate();
  const returnTo = useReturnTo();
  const location = useLocation();
  const expired = new URLSearchParams(location.search).get("reason") === "expired";
  const [method, setMethod] = useState<Method>("password");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [codeSent, setCodeSent] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function run(action: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (method === "password") {
      void run(async () => {
        await signInWithPassword(email, password);
        void navigate(returnTo, { replace: true });
      });
    } else if (!codeSent) {
      void run(async () => {
        await requestCode(email);
        setCodeSent(true);
      });
    } else {
      void run(async () => {
        await verifyCode(email, code);
        void navigate(returnTo, { replace: true });
      });
    }
  }

  const registerLink = `/register${location.search}`;
  return (
    <AuthLayout
      title="Sign in to Trellis"
      subtitle={expired ? undefined : "Welcome back."}
      footer={
        <>
          New here? <Link to={registerLink}>Create an account</Link>
        </>
      }
    >
      {expired && (
        <div className="alert alert-info" role="status">
          <p className="alert-message">Your session expired. Sign in again to continue where you were.</p>
        </div>
      )}
      <div className="segmented" role="tablist" aria-label="Sign-in method">
        {(["password", "code"] as const).map((value) => (
          <button
            key={value}
            type="button"
            role="tab"
            aria-selected={method === value}
            className={method === value ? "segmented-active" : ""}
            onClick={() => {
              setMethod(value);
              setError(null);
            }}
          >
            {value === "password" ? "Password" : "Email code"}
          </button>
        ))}
      </div>
      <form onSubmit={submit} className="stack" noValidate>
        <TextField label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} disabled={codeSent && method === "code"} />
        {method === "password" && (
          <TextField label="Password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        )}
        {method === "code" && codeSent && (
          <TextField
            label="6-digit code"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="\d{6}"
            maxLength={6}
            required
            value={code}
            onChange={(e) => setCode(e.target.value.replace(/\D/g, ""))}
            hint={<>We sent a code to {email}; it is valid for 5 minutes. Without SMTP configured, the server prints it on its console and in the development outbox.</>}
            autoFocus
          />
        )}
        <ErrorMessage error={error} />
        <Button type="submit" variant="primary" busy={busy} className="btn-block">
          {method === "password" ? "Sign in" : codeSent ? "Verify and sign in" : "Email me a code"}
        </Button>
        {method === "code" && codeSent && (
          <Button
            variant="ghost"
            onClick={() => {
              setCodeSent(false);
              setCode("");
            }}
          >
            Use another email
          </Button>
        )}
      </form>
    </AuthLayout>
  );
}
