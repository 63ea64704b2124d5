import { lazy, Suspense, type ReactNode } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router";
import { AuthProvider, useAuth, type Role } from "./api/auth";
import { ApiError } from "./api/problem";
import { Layout } from "./components/Layout";
import { Loading } from "./components/Status";
import { LoginView } from "./views/Login";
import { OverviewView } from "./views/Overview";

// The first view (Overview) is in the main bundle; the others load on demand.
const PlantMapView = lazy(() => import("./views/PlantMap"));
const RegionsView = lazy(() => import("./views/Regions"));
const PlantDetailView = lazy(() => import("./views/PlantDetail"));
const DataView = lazy(() => import("./views/Data"));
const EmissionsView = lazy(() => import("./views/Emissions"));
const AdminView = lazy(() => import("./views/Admin"));
const ApiKeysView = lazy(() => import("./views/ApiKeys"));

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        refetchOnWindowFocus: false,
        retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 2,
      },
    },
  });
}

function RequireAuth({ children, role }: { children: ReactNode; role?: Role }) {
  const { user, checking } = useAuth();
  const location = useLocation();
  if (checking) return <Loading label="Checking your session…" />;
  if (!user) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (role && user.role !== role) {
    return (
      <div className="panel" role="alert" data-testid="forbidden">
        <h1>Admins only</h1>
        <p>This page is for administrators. You are signed in as {user.email} ({user.role}).</p>
      </div>
    );
  }
  return <>{children}</>;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginView />} />
      <Route
        element={
          <RequireAuth>
            <Layout />
          </RequireAuth>
        }
      >
        <Route index element={<OverviewView />} />
        <Route path="map" element={<Lazy><PlantMapView /></Lazy>} />
        <Route path="regions" element={<Lazy><RegionsView /></Lazy>} />
        <Route path="plants/:plantId" element={<Lazy><PlantDetailView /></Lazy>} />
        <Route path="data" element={<Lazy><DataView /></Lazy>} />
        <Route path="emissions" element={<Lazy><EmissionsView /></Lazy>} />
        <Route path="keys" element={<Lazy><ApiKeysView /></Lazy>} />
        <Route
          path="admin"
          element={
            <RequireAuth role="admin">
              <Lazy>
                <AdminView />
              </Lazy>
            </RequireAuth>
          }
        />
        <Route path="*" element={<div className="panel"><h1>Not found</h1><p>No page at this address.</p></div>} />
      </Route>
    </Routes>
  );
}

function Lazy({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

const queryClient = makeQueryClient();

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <AuthProvider>
          <AppRoutes />
        </AuthProvider>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
