import { lazy, Suspense, type ReactNode } from "react";
import { createBrowserRouter, Navigate, RouterProvider, useLocation } from "react-router";
import { App as AntApp, ConfigProvider, Spin } from "antd";
// The ES build of the locale: the CommonJS one arrives wrapped in `default` and falls back to English.
import zhCN from "antd/es/locale/zh_CN";
import "../lib/dates";
import "./app.css";
import { AuthProvider, useSession } from "../lib/auth";
import { AppLayout } from "./Layout";
import type { Role } from "../lib/session";

// Each screen is its own chunk: the first screen loads only what it shows.
const Login = lazy(() => import("../features/account/Login"));
const ChangePassword = lazy(() => import("../features/account/ChangePassword"));
const Workbench = lazy(() => import("../features/workbench/Workbench"));
const LeadList = lazy(() => import("../features/leads/LeadList"));
const LeadNew = lazy(() => import("../features/leads/LeadNew"));
const LedgerImport = lazy(() => import("../features/leads/LedgerImport"));
const LeadDetail = lazy(() => import("../features/leads/LeadDetail"));
const PolicyList = lazy(() => import("../features/policy/PolicyList"));
const PolicyNew = lazy(() => import("../features/policy/PolicyNew"));
const PolicyImport = lazy(() => import("../features/policy/PolicyImport"));
const PolicyDetail = lazy(() => import("../features/policy/PolicyDetail"));
const ProblemList = lazy(() => import("../features/supervision/ProblemList"));
const ProblemNew = lazy(() => import("../features/supervision/ProblemNew"));
const ProblemDetail = lazy(() => import("../features/supervision/ProblemDetail"));
const Reports = lazy(() => import("../features/supervision/Reports"));
const Tasks = lazy(() => import("../features/tasks/Tasks"));
const BranchHome = lazy(() => import("../features/branches/BranchHome"));
const TripDetail = lazy(() => import("../features/branches/TripDetail"));
const VisitForm = lazy(() => import("../features/branches/VisitForm"));
const Notifications = lazy(() => import("../features/notifications/Notifications"));
const Users = lazy(() => import("../features/admin/Users"));
const RoutingRules = lazy(() => import("../features/admin/RoutingRules"));
const PolicyRoutes = lazy(() => import("../features/admin/PolicyRoutes"));
const Holidays = lazy(() => import("../features/admin/Holidays"));
const NotFound = lazy(() => import("./NotFound"));

function RequireAuth({ children, roles }: { children: ReactNode; roles?: Role[] }) {
  const session = useSession();
  const location = useLocation();
  if (!session) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (roles && !roles.includes(session.me.role)) return <NotFound />;
  return <>{children}</>;
}

const only = (roles: Role[], el: ReactNode) => <RequireAuth roles={roles}>{el}</RequireAuth>;
const LEAD_READERS: Role[] = ["admin", "leader", "team_member", "branch_member", "inspector"];
const LEAD_WRITERS: Role[] = ["admin", "leader", "team_member", "branch_member"];
const POLICY_READERS: Role[] = ["admin", "leader", "team_member", "department", "inspector"];
// Who submits requests and imports a ledger or a batch (routes/policy.py, routes/imports.py).
const SUBMITTERS: Role[] = ["admin", "leader", "team_member"];
// The supervision reports and the leaders' tasks (county leadership, the supervision office).
const REPORT_READERS: Role[] = ["admin", "leader", "inspector"];
const TRIP_READERS: Role[] = ["admin", "leader", "inspector", "branch_member"];

// Secondary and description text darker than the defaults, for a 4.5:1 contrast (WCAG AA).
const THEME = { token: { colorPrimary: "#b5121b", colorLink: "#0958d9", colorError: "#cf1322", borderRadius: 4, colorTextSecondary: "#595959", colorTextDescription: "#595959", colorTextTertiary: "#595959", colorTextPlaceholder: "#737373" } };

const router = createBrowserRouter([
  { path: "/login", element: <Suspense fallback={<Spin />}><Login /></Suspense> },
  {
    path: "/",
    element: <RequireAuth><AppLayout /></RequireAuth>,
    children: [
      { index: true, element: <Workbench /> },
      { path: "password", element: <ChangePassword /> },
      { path: "leads", element: only(LEAD_READERS, <LeadList />) },
      { path: "leads/new", element: only(LEAD_WRITERS, <LeadNew />) },
      { path: "leads/import", element: only(SUBMITTERS, <LedgerImport />) },
      { path: "leads/:id", element: only(LEAD_READERS, <LeadDetail />) },
      { path: "policy", element: only(POLICY_READERS, <PolicyList />) },
      { path: "policy/new", element: only(SUBMITTERS, <PolicyNew />) },
      { path: "policy/import", element: only(SUBMITTERS, <PolicyImport />) },
      { path: "policy/:id", element: only(POLICY_READERS, <PolicyDetail />) },
      { path: "problems", element: only(POLICY_READERS, <ProblemList />) },
      { path: "problems/new", element: only(SUBMITTERS, <ProblemNew />) },
      { path: "problems/:id", element: only(POLICY_READERS, <ProblemDetail />) },
      { path: "supervision", element: only(REPORT_READERS, <Reports />) },
      { path: "tasks", element: only(REPORT_READERS, <Tasks />) },
      { path: "branches", element: only(TRIP_READERS, <BranchHome />) },
      { path: "trips/:id", element: only(TRIP_READERS, <TripDetail />) },
      { path: "trips/:id/visit", element: only(["admin", "branch_member"], <VisitForm />) },
      { path: "notifications", element: <Notifications /> },
      { path: "admin/users", element: only(["admin"], <Users />) },
      { path: "admin/routing-rules", element: only(["admin"], <RoutingRules />) },
      { path: "admin/policy-routes", element: only(["admin"], <PolicyRoutes />) },
      { path: "admin/holidays", element: only(["admin"], <Holidays />) },
      { path: "*", element: <NotFound /> },
    ],
  },
]);

export function App() {
  return (
    <ConfigProvider locale={zhCN} theme={THEME}>
      <AntApp>
        <AuthProvider>
          <RouterProvider router={router} />
        </AuthProvider>
      </AntApp>
    </ConfigProvider>
  );
}
