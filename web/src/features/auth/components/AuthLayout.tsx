import type { ReactNode } from "react";

export function AuthLayout({ title, subtitle, children, footer }: { title: string; subtitle?: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <main className="auth-page">
      <div className="auth-brand">
        <span className="logo-mark" aria-hidden="true">
          T
        </span>
        <span className="logo-text">Trellis</span>
      </div>
      <div className="auth-card">
        <h1>{title}</h1>
        {subtitle && <p className="auth-subtitle">{subtitle}</p>}
        {children}
      </div>
      {footer && <div className="auth-footer">{footer}</div>}
      <p className="auth-tagline">From rough requirements to verified work.</p>
    </main>
  );
}
