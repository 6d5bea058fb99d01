import { render } from "preact";
import { useEffect } from "preact/hooks";
import { isAdmin, session, signOut } from "./api";
import { Link, PageTitle } from "./components/ui";
import { live, startLive } from "./live";
import { Cluster } from "./pages/Cluster";
import { Leases } from "./pages/Leases";
import { UsagePage } from "./pages/Usage";
import { SignIn, SignUp } from "./pages/Auth";
import { WorkerDetail } from "./pages/WorkerDetail";
import { Workers } from "./pages/Workers";
import { match, navigate, route } from "./router";
import { useStore } from "./store";
import "./styles.css";

const liveText: Record<string, string> = {
  off: "",
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
};

function LiveIndicator() {
  const { status } = useStore(live);
  return (
    <span class={`live live-${status}`} data-live={status} role="status" aria-live="polite">
      {liveText[status]}
    </span>
  );
}

function Nav({ path }: { path: string }) {
  const s = useStore(session);
  const item = (href: string, label: string) => (
    <li>
      <Link href={href} aria-current={path === href || path.startsWith(`${href}/`) ? "page" : undefined}>{label}</Link>
    </li>
  );
  return (
    <header class="top">
      <Link href="/" class="brand">Aetherium</Link>
      {s && (
        <nav aria-label="Main">
          <ul>
            {item("/leases", "Leases")}
            {item("/usage", "Usage")}
            {item("/workers", "Workers")}
            {isAdmin(s.me) && item("/cluster", "Cluster")}
          </ul>
        </nav>
      )}
      {s && (
        <div class="user">
          <LiveIndicator />
          <span class="who">{s.me.username}</span>
          <button type="button" onClick={() => void signOut().then(() => navigate("/signin"))}>Sign out</button>
        </div>
      )}
    </header>
  );
}

function NotFound() {
  return (
    <>
      <PageTitle title="Not found">Not found</PageTitle>
      <p>There is no page here. <Link href="/">Go to the start</Link></p>
    </>
  );
}

/** Replaces the address with another page's (the back button does not come back here). */
function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, true), [to]);
  return null;
}

function Page({ path }: { path: string }) {
  const s = useStore(session);
  const publicPage = path === "/signin" || path === "/signup";
  if (!s) {
    if (!publicPage) return <Redirect to="/signin" />;
    return path === "/signup" ? <SignUp /> : <SignIn />;
  }
  if (publicPage || path === "/") return <Redirect to={isAdmin(s.me) ? "/cluster" : "/leases"} />;
  if (path === "/leases") return <Leases />;
  if (path === "/usage") return <UsagePage />;
  if (path === "/workers") return <Workers />;
  if (path === "/cluster") return <Cluster />;
  const worker = match("/workers/:id", path);
  if (worker) return <WorkerDetail key={worker.id} id={worker.id} />;
  return <NotFound />;
}

function App() {
  const path = useStore(route);
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <Nav path={path} />
      <main id="main" tabIndex={-1}>
        <Page path={path} />
      </main>
    </>
  );
}

startLive();
render(<App />, document.getElementById("app")!);
