import { NavLink } from "react-router-dom";

export interface TabLink {
  to: string;
  label: string;
  end?: boolean;
}

export function TabNav({ tabs, label }: { tabs: TabLink[]; label: string }) {
  return (
    <nav className="tabs" aria-label={label}>
      {tabs.map((tab) => (
        <NavLink key={tab.to} to={tab.to} end={tab.end} className={({ isActive }) => `tab${isActive ? " tab-active" : ""}`}>
          {tab.label}
        </NavLink>
      ))}
    </nav>
  );
}
