import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { QueryClientProvider } from "@tanstack/react-query";
import { MemoryRouter } from "react-router";
import { AppRoutes, makeQueryClient } from "./App";
import { AuthContext, type AuthState, type User } from "./api/auth";
import { DataTable } from "./components/DataTable";
import { MultiSelect } from "./components/MultiSelect";
import { expiryOf, formatWhen, rolesUpTo } from "./views/ApiKeys";
import { plantCountNote } from "./views/Overview";

function renderAt(path: string, user: User | null) {
  const auth: AuthState = { user, checking: false, login: async () => undefined, logout: async () => undefined };
  return render(
    <QueryClientProvider client={makeQueryClient()}>
      <AuthContext.Provider value={auth}>
        <MemoryRouter initialEntries={[path]}>
          <AppRoutes />
        </MemoryRouter>
      </AuthContext.Provider>
    </QueryClientProvider>,
  );
}

describe("route guards", () => {
  it("sends a signed-out visitor to the login page", () => {
    renderAt("/data", null);
    expect(screen.getByRole("button", { name: "Sign in" })).toBeInTheDocument();
  });

  it("hides the admin link from an analyst and refuses the admin page", () => {
    renderAt("/admin", { id: 2, email: "a@example.com", role: "analyst" });
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).queryByRole("link", { name: "Admin" })).toBeNull();
    expect(screen.getByTestId("forbidden")).toHaveTextContent("Admins only");
  });

  it("shows every signed-in user the API keys page", () => {
    renderAt("/data", { id: 3, email: "v@example.com", role: "viewer" });
    expect(within(screen.getByRole("navigation", { name: "Main" })).getByRole("link", { name: "API keys" })).toHaveAttribute("href", "/keys");
  });

  it("shows the admin link to an admin", () => {
    renderAt("/data", { id: 1, email: "admin@example.com", role: "admin" });
    expect(within(screen.getByRole("navigation", { name: "Main" })).getByRole("link", { name: "Admin" })).toBeInTheDocument();
  });
});

describe("DataTable", () => {
  const rows = [
    { plant_name: "Alpha", net_generation_mwh: 2_500_000 },
    { plant_name: "Beta", net_generation_mwh: null },
  ];

  it("formats numbers with units and sorts from the header", async () => {
    const onSort = vi.fn();
    render(<DataTable caption="t" rows={rows} columns={["plant_name", "net_generation_mwh"]} rowKey={(_, i) => String(i)} sort="-net_generation_mwh" onSort={onSort} />);
    expect(screen.getByText("2.5 TWh")).toBeInTheDocument();
    expect(screen.getByText("—")).toBeInTheDocument();
    const header = screen.getByRole("columnheader", { name: /Net generation/ });
    expect(header).toHaveAttribute("aria-sort", "descending");
    await userEvent.click(within(header).getByRole("button"));
    expect(onSort).toHaveBeenCalledWith("net_generation_mwh");
    await userEvent.click(screen.getByRole("button", { name: /Plant/ }));
    expect(onSort).toHaveBeenLastCalledWith("plant_name");
  });
});

describe("MultiSelect", () => {
  it("is usable from the keyboard and keeps the options' order", async () => {
    const onChange = vi.fn();
    render(
      <MultiSelect name="state" label="State" value={["TX"]} onChange={onChange} options={[{ value: "CA", label: "California" }, { value: "TX", label: "Texas" }]} />,
    );
    const user = userEvent.setup();
    await user.tab();
    await user.keyboard("{Enter}");
    await user.tab(); // "Clear"
    await user.tab(); // California
    await user.keyboard(" ");
    expect(onChange).toHaveBeenCalledWith(["CA", "TX"]);
  });
});

describe("API keys", () => {
  it("offers roles up to the user's own, never higher", () => {
    expect(rolesUpTo("viewer")).toEqual(["viewer"]);
    expect(rolesUpTo("analyst")).toEqual(["viewer", "analyst"]);
    expect(rolesUpTo("admin")).toEqual(["viewer", "analyst", "admin"]);
  });

  it("turns a date into the end of that day in UTC, and no date into no expiry", () => {
    expect(expiryOf("2030-01-31")).toBe("2030-01-31T23:59:59Z");
    expect(expiryOf("")).toBeNull();
  });

  it("writes timestamps in UTC to the minute", () => {
    expect(formatWhen("2026-11-28T19:20:31.5+00:00")).toBe("2026-11-28 19:20 UTC");
    expect(formatWhen("")).toBe("—");
  });
});

describe("the Plants KPI", () => {
  it("says why it is empty, and what to do where something can be done", () => {
    expect(plantCountNote("region_sheet", "2022", true)).toMatch(/not in the state and US sheets: filter by fuel or region/);
    expect(plantCountNote("plants", "2022", true)).toBe("sum of plants, eGRID 2022");
    expect(plantCountNote("region_sheet", "2023", false)).toBe("no plant sheet loaded for 2023: generators are not plants");
    expect(plantCountNote("generators", "2023", false)).toMatch(/no plant sheet loaded for 2023/);
  });
});

