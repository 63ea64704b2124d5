import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { endSession, onTokens, restoreSession, setTokens, tokensFrom } from "./session";
import { ApiError } from "./problem";

export type Role = "admin" | "analyst" | "viewer";
export interface User {
  id: number | string;
  email: string;
  role: Role;
}

export interface AuthState {
  user: User | null;
  /** True until the session cookie (if any) has been traded for an access token and checked against /auth/me. */
  checking: boolean;
  login(email: string, password: string): Promise<void>;
  logout(): Promise<void>;
}

export const AuthContext = createContext<AuthState | null>(null);

async function fetchMe(): Promise<User> {
  return unwrap(await api.GET("/auth/me")) as User;
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [user, setUser] = useState<User | null>(null);
  const [checking, setChecking] = useState(true);

  useEffect(() => {
    // A reload or a new tab: the access token was only in memory; the HttpOnly cookie gets a new one silently.
    let current = true;
    restoreSession()
      .then((tokens) => (tokens ? fetchMe() : null))
      .then((me) => current && setUser(me))
      .catch(() => current && setTokens(null))
      .finally(() => current && setChecking(false));
    return () => {
      current = false;
    };
  }, []);

  useEffect(
    () =>
      onTokens((tokens) => {
        if (!tokens) {
          setUser(null);
          queryClient.clear();
        }
      }),
    [queryClient],
  );

  const login = useCallback(async (email: string, password: string) => {
    // The refresh token comes as an HttpOnly cookie for /auth/refresh only; the body carries the access token.
    const result = await api.POST("/auth/login", { body: { email, password, refresh_token_in: "cookie" } });
    if (!result.response.ok) {
      const status = result.response.status;
      const problem = result.error as { detail?: unknown; title?: string } | undefined;
      const detail = typeof problem?.detail === "string" ? problem.detail : undefined;
      if (status === 401) throw new ApiError(status, "Wrong email or password", detail);
      if (status === 423 || status === 429) throw new ApiError(status, "Too many failed attempts", detail ?? "Wait a moment, then try again.");
      if (status === 422) throw new ApiError(status, "Enter a valid email address and a password");
      throw new ApiError(status, problem?.title ?? "Sign-in failed", detail);
    }
    setTokens(tokensFrom(result.data as { access_token: string; expires_in: number }));
    setUser(await fetchMe());
  }, []);

  const logout = useCallback(async () => {
    await endSession(); // revokes the session and clears the cookie, then forgets the access token
  }, []);

  const value = useMemo(() => ({ user, checking, login, logout }), [user, checking, login, logout]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error("useAuth outside <AuthProvider>");
  return state;
}
