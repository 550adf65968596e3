import { Suspense, useEffect, useState } from "react";
import { NavLink, Outlet, useLocation, useNavigate } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { Icon, Loading } from "@/components";
import { signOut } from "@/features/auth";
import { WorkspaceSwitcher } from "@/features/workspaces";
import { useSession } from "@/lib/useSession";
import { accountNav, mainNav } from "./navigation";

export function AppShell() {
  const session = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const client = useQueryClient();
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [location.pathname]);

  async function doSignOut() {
    await signOut().catch(() => undefined);
    client.clear();
    void navigate("/sign-in", { replace: true });
  }

  const link = ({ isActive }: { isActive: boolean }) => `nav-link${isActive ? " nav-link-active" : ""}`;
  return (
    <div className={`shell${menuOpen ? " shell-menu-open" : ""}`}>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="topbar">
        <button type="button" className="menu-button" aria-label="Menu" aria-expanded={menuOpen} onClick={() => setMenuOpen(!menuOpen)}>
          ☰
        </button>
        <span className="logo">
          <span className="logo-mark" aria-hidden="true">
            T
          </span>
          <span className="logo-text">Trellis</span>
        </span>
      </header>
      <aside className="sidebar" aria-label="Main navigation">
        <div className="sidebar-brand">
          <span className="logo-mark" aria-hidden="true">
            T
          </span>
          <span className="logo-text">Trellis</span>
        </div>
        <WorkspaceSwitcher />
        <nav className="nav">
          {mainNav.map((item) => (
            <NavLink key={item.to} to={item.to} className={link}>
              <Icon name={item.icon} />
              {item.label}
            </NavLink>
          ))}
        </nav>
        <div className="sidebar-spacer" />
        <nav className="nav nav-secondary" aria-label="Account">
          {accountNav.map((item) => (
            <NavLink key={item.to} to={item.to} end className={link}>
              <Icon name={item.icon} />
              {item.label}
            </NavLink>
          ))}
        </nav>
        <div className="sidebar-user">
          <div className="avatar" aria-hidden="true">
            {(session?.user.full_name || session?.user.email || "?").charAt(0).toUpperCase()}
          </div>
          <div className="sidebar-user-text">
            <div className="sidebar-user-name">{session?.user.full_name || session?.user.email}</div>
            <button type="button" className="link-button small" onClick={() => void doSignOut()}>
              Sign out
            </button>
          </div>
        </div>
      </aside>
      <main id="main" className="content" tabIndex={-1}>
        <Suspense fallback={<Loading label="Loading…" />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
