import { describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { NearestYear } from "./NearestYear";

describe("NearestYear", () => {
  it("says what the year holds and switches to the nearest year that has the data", async () => {
    const onYear = vi.fn();
    render(<NearestYear year="2023" what="plants" candidates={[2022, 2018]} levelsByYear={{ 2023: ["generator", "ggl"] }} onYear={onYear} />);
    expect(screen.getByTestId("nearest-year")).toHaveTextContent("No plants for 2023. The data loaded for 2023 holds generators and grid loss.");
    await userEvent.click(screen.getByRole("button", { name: "Show 2022" }));
    expect(onYear).toHaveBeenCalledWith("2022");
  });
  it("says so when no year has the data", () => {
    render(<NearestYear year="2022" what="units" candidates={[]} onYear={() => undefined} />);
    expect(screen.getByTestId("nearest-year")).toHaveTextContent("No loaded year has units.");
    expect(screen.queryByRole("button")).toBeNull();
  });
});
