import { ApiError, api, signedIn } from "./api";
import type { TokenPair } from "./types";

/** An injected EIP-1193 provider (MetaMask and others put one at window.ethereum). */
interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

declare global {
  interface Window {
    ethereum?: Eip1193Provider;
  }
}

export const hasWallet = () => typeof window.ethereum?.request === "function";

interface Challenge {
  address: string;
  message: string;
}

/** personal_sign takes the message as hex of its UTF-8 bytes (EIP-191 prefixes and hashes it). */
const toHex = (text: string) => "0x" + [...new TextEncoder().encode(text)].map((b) => b.toString(16).padStart(2, "0")).join("");

async function ask<T>(provider: Eip1193Provider, method: string, params?: unknown[]): Promise<T> {
  try {
    return (await provider.request({ method, params })) as T;
  } catch (e) {
    const code = (e as { code?: number }).code;
    if (code === 4001) throw new ApiError(0, "The wallet declined the request");
    throw new ApiError(0, "The wallet failed", (e as Error).message ?? String(e));
  }
}

/**
 * Sign-in with Ethereum (DESIGN §8): the gateway issues an EIP-4361 message for the wallet's address, the
 * wallet signs it (personal_sign), and identity checks the signature and answers tokens.
 */
export async function signInWithWallet(): Promise<void> {
  const provider = window.ethereum;
  if (!provider) throw new ApiError(0, "No browser wallet found");
  const [address] = await ask<string[]>(provider, "eth_requestAccounts");
  if (!address) throw new ApiError(0, "The wallet shared no account");
  const challenge = await api<Challenge>("GET", `/api/v1/auth/wallet/challenge?address=${encodeURIComponent(address)}`);
  const signature = await ask<string>(provider, "personal_sign", [toHex(challenge.message), address]);
  await signedIn(await api<TokenPair>("POST", "/api/v1/auth/wallet", { address, message: challenge.message, signature }));
}
