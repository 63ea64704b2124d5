import { act, renderHook } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter, useLocation } from "react-router";
import { readParams, useUrlState, writeParams } from "./urlState";

const schema = { year: "", state: [] as string[], metric: "net_generation_mwh", n: "10" };

describe("readParams / writeParams", () => {
  it("reads defaults, single values and repeated multi-values", () => {
    const values = readParams(new URLSearchParams("year=2022&state=TX&state=CA&n=25"), schema);
    expect(values).toEqual({ year: "2022", state: ["TX", "CA"], metric: "net_generation_mwh", n: "25" });
  });
  it("accepts comma-separated multi-values from hand-written links", () => {
    expect(readParams(new URLSearchParams("state=TX,NM"), schema).state).toEqual(["TX", "NM"]);
  });
  it("leaves defaults out of the address and keeps unrelated params", () => {
    const next = writeParams(new URLSearchParams("other=1&n=25"), schema, { n: "10", state: ["NE", "IA"], metric: "co2_tons" });
    expect(next.toString()).toBe("other=1&state=NE&state=IA&metric=co2_tons");
  });
});

describe("useUrlState", () => {
  it("round-trips filters through the URL", () => {
    let location = "";
    function Spy() {
      location = useLocation().search;
      return null;
    }
    const wrapper = ({ children }: { children: ReactNode }) => (
      <MemoryRouter initialEntries={["/?year=2022"]}>
        {children}
        <Spy />
      </MemoryRouter>
    );
    const { result } = renderHook(() => useUrlState(schema), { wrapper });
    expect(result.current[0].year).toBe("2022");
    act(() => result.current[1]({ state: ["TX"], n: "50" }));
    expect(result.current[0].state).toEqual(["TX"]);
    expect(result.current[0].n).toBe("50");
    expect(location).toBe("?year=2022&state=TX&n=50");
    act(() => result.current[1]({ state: [] }));
    expect(location).toBe("?year=2022&n=50");
  });
});
