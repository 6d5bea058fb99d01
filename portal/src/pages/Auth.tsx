import { useState } from "preact/hooks";
import { api, signIn } from "../api";
import { ErrorMessage, Field, Link, PageTitle, fieldErrors } from "../components/ui";
import { navigate } from "../router";
import { hasWallet, signInWithWallet } from "../wallet";

function useSubmit(action: (form: FormData) => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action(new FormData(e.currentTarget as HTMLFormElement));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, onSubmit };
}

const text = (form: FormData, name: string) => String(form.get(name) ?? "").trim();

export function SignIn() {
  const { busy, error, setError, onSubmit } = useSubmit(async (form) => {
    await signIn(text(form, "username"), String(form.get("password") ?? ""));
    navigate("/", true);
  });
  const [walletBusy, setWalletBusy] = useState(false);
  const wallet = async () => {
    setWalletBusy(true);
    setError(null);
    try {
      await signInWithWallet();
      navigate("/", true);
    } catch (err) {
      setError(err);
    } finally {
      setWalletBusy(false);
    }
  };
  return (
    <section class="auth">
      <PageTitle title="Sign in">Sign in</PageTitle>
      <form onSubmit={onSubmit} aria-label="Sign in with a password">
        <Field label="Username" name="username" autocomplete="username" required errors={fieldErrors(error)} />
        <Field label="Password" name="password" type="password" autocomplete="current-password" required errors={fieldErrors(error)} />
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
      </form>
      <div class="wallet">
        <h2>Or with a wallet</h2>
        {hasWallet() ? (
          <button type="button" onClick={wallet} disabled={walletBusy}>
            {walletBusy ? "Waiting for the wallet…" : "Sign in with Ethereum wallet"}
          </button>
        ) : (
          <p class="muted">No browser wallet detected. Install one (an EIP-1193 wallet such as MetaMask) to sign in with it.</p>
        )}
      </div>
      <p>
        New here? <Link href="/signup">Create an account</Link>
      </p>
    </section>
  );
}

export function SignUp() {
  const { busy, error, onSubmit } = useSubmit(async (form) => {
    const username = text(form, "username");
    const password = String(form.get("password") ?? "");
    await api("POST", "/api/v1/auth/signup", {
      username, password,
      email: text(form, "email") || undefined,
      organization: text(form, "organization") || undefined,
    });
    await signIn(username, password);
    navigate("/", true);
  });
  const errors = fieldErrors(error);
  return (
    <section class="auth">
      <PageTitle title="Create an account">Create an account</PageTitle>
      <form onSubmit={onSubmit} aria-label="Create an account">
        <Field label="Username" name="username" autocomplete="username" required minLength={3} maxLength={64}
          hint="3–64 characters: a–z, 0–9, '.', '_' or '-'" errors={errors} />
        <Field label="Password" name="password" type="password" autocomplete="new-password" required minLength={8} hint="At least 8 characters" errors={errors} />
        <Field label="E-mail (optional)" name="email" type="email" autocomplete="email" errors={errors} />
        <Field label="Organisation (optional)" name="organization" autocomplete="organization" hint="A new organisation is made for you; you are its first member" errors={errors} />
        <ErrorMessage error={error} />
        <button type="submit" disabled={busy}>{busy ? "Creating…" : "Create account"}</button>
      </form>
      <p>
        Have an account? <Link href="/signin">Sign in</Link>
      </p>
    </section>
  );
}
