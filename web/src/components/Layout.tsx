import { NavLink, Outlet, useNavigate } from "react-router";
import { useAuth } from "../api/auth";

export function Layout() {
  const { user, logout } = useAuth();
  const navigate = useNavigate();
  const links = [
    { to: "/", label: "Overview", end: true },
    { to: "/map", label: "Plant map" },
    { to: "/regions", label: "Regions" },
    { to: "/data", label: "Data" },
    { to: "/emissions", label: "Emissions" },
    { to: "/keys", label: "API keys" },
    ...(user?.role === "admin" ? [{ to: "/admin", label: "Admin" }] : []),
  ];
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <NavLink to="/" className="brand">
          Plant Analytics
        </NavLink>
        <nav aria-label="Main">
          {links.map((link) => (
            <NavLink key={link.to} to={link.to} end={link.end}>
              {link.label}
            </NavLink>
          ))}
        </nav>
        <div className="user">
          <span data-testid="user-email">
            {user?.email} · {user?.role}
          </span>
          <button
            type="button"
            onClick={async () => {
              await logout();
              navigate("/login");
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
