import { describe, expect, it } from "vitest";
import { heldWords, levelWords, listWords, nearestYear, yearsWithAny } from "./years";

// The sample data's years: 2023 holds the generator extract and the Power Profiler's tables only.
const SAMPLE: Record<number, string[]> = {
  2023: ["generator", "ggl", "location", "subregion", "us"],
  2022: ["plant", "state", "subregion", "us"],
  2019: ["ggl", "nerc", "state", "subregion", "us"],
  2018: ["ggl", "nerc", "state", "subregion", "us"],
};

describe("yearsWithAny", () => {
  it("lists the years holding one of the levels, newest first", () => {
    expect(yearsWithAny(SAMPLE, ["plant"])).toEqual([2022]);
    expect(yearsWithAny(SAMPLE, ["plant", "state"])).toEqual([2022, 2019, 2018]);
    expect(yearsWithAny(SAMPLE, ["unit"])).toEqual([]);
  });
});

describe("nearestYear", () => {
  it("finds the closest other year", () => {
    expect(nearestYear("2023", [2022, 2019, 2018])).toBe(2022);
    expect(nearestYear(2020, [2018, 2022, 2023])).toBe(2022); // 2 either way: the newer
    expect(nearestYear(2017, [2019, 2018])).toBe(2018);
  });
  it("never offers the year itself, and gives null without candidates", () => {
    expect(nearestYear(2022, [2022])).toBeNull();
    expect(nearestYear(2022, [])).toBeNull();
  });
  it("offers the newest year when none is chosen", () => {
    expect(nearestYear("", [2018, 2022])).toBe(2022);
  });
});

describe("words", () => {
  it("names levels and lists them", () => {
    expect(levelWords("ggl")).toBe("grid loss");
    expect(levelWords("something")).toBe("something");
    expect(listWords(["a"])).toBe("a");
    expect(listWords(["a", "b", "c"])).toBe("a, b and c");
    expect(heldWords(SAMPLE[2023])).toBe("generators, grid loss, the ZIP code lookup, subregion rates and US figures");
    expect(heldWords(undefined)).toBe("nothing");
  });
});
