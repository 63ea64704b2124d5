import { describe, expect, it } from "vitest";
import {
  annualKwh,
  formatLb,
  formatLoss,
  formatRateAsLoaded,
  mixAgainstUs,
  parseKwh,
  pollutantsIn,
  releaseLabel,
  reportColumns,
  reportCsv,
  reportRows,
  type EstimateReport,
  type Release,
} from "./emissions";

// What POST /api/v1/emissions/estimate answers for a sites file with one good row, one unknown ZIP code and
// one row whose site_id a spreadsheet would run as a formula (from the sample data: 99501 Anchorage, 2023).
const RATES: Release = {
  release_id: 16,
  level: "subregion",
  data_year: 2023,
  revision: null,
  file_name: "subregion_2023rev2.json",
  sheet: "subregion features",
  sha256: "6c0b92689d809b30753e608424a63b054b9956e1a6f1e342c812de8805b4f675",
  note: "EPA Power Profiler's published table",
};
const LOSS: Release = { ...RATES, release_id: 18, level: "ggl", sheet: "gridLoss by interconnect" };
const REPORT: EstimateReport = {
  data: [
    {
      site_id: "hq",
      zip: "99501",
      subregion: "AKGD",
      subregion_name: "ASCC Alaska Grid",
      interconnect: "Alaska",
      year: 2023,
      kwh: 7200,
      emissions_lb: { co2: 6754.283211678832, co2e: 6795.3960375391025, nox: 41.69843587069865, so2: 2.3274244004171014 },
      rates_lb_per_mwh: { co2: 899.633, co2e: 905.109, nox: 5.554, so2: 0.31 },
      grid_gross_loss: 0.041,
      lookup: { year: 2023, other_subregions: [], release_id: 19 },
      sources: { rates: 16, grid_loss: 18 },
      error: null,
    },
    {
      site_id: "=HYPERLINK(\"http://x\")",
      zip: "00000",
      subregion: null,
      interconnect: null,
      year: null,
      kwh: 10,
      emissions_lb: null,
      rates_lb_per_mwh: null,
      grid_gross_loss: null,
      lookup: null,
      sources: null,
      error: { row: 2, status: 404, message: "ZIP code 00000 is not in the 2023 ZIP code lookup", zip: "00000" },
    },
  ],
  totals: { sites: 2, estimated: 1, failed: 1, kwh: 7200, emissions_lb: { co2: 6754.283211678832 } },
  meta: { method: "lb = kWh * rate / 1000 / (1 - loss)", rounding: "none", units: "lb", releases: [RATES, LOSS] },
};

describe("inputs", () => {
  it("reads kWh as typed", () => {
    expect(parseKwh("7,200")).toBe(7200);
    expect(parseKwh(" 600 ")).toBe(600);
    expect(parseKwh("")).toBeNull();
    expect(parseKwh("abc")).toBeNull();
  });
  it("makes monthly use yearly, as the Power Profiler does", () => {
    expect(annualKwh(600, "month")).toBe(7200);
    expect(annualKwh(7200, "year")).toBe(7200);
  });
});

describe("formatting", () => {
  it("gives pounds, with short tons above a ton", () => {
    expect(formatLb(6754.283211678832)).toBe("6,754.3\u00a0lb (3.38\u00a0tons)");
    expect(formatLb(2.3274244004171014)).toBe("2.327\u00a0lb");
    expect(formatLb(null)).toBe("—");
  });
  it("keeps a rate's loaded decimals and shows the loss in percent", () => {
    expect(formatRateAsLoaded(899.633)).toBe("899.633\u00a0lb/MWh");
    expect(formatLoss(0.041)).toBe("4.1%");
  });
  it("names a release by file, sheet, year and id", () => {
    expect(releaseLabel(RATES)).toBe("subregion_2023rev2.json / subregion features (eGRID 2023, release 16)");
    expect(releaseLabel(undefined)).toBe("unknown release");
  });
});

describe("pollutantsIn", () => {
  it("lists only the pollutants with a value, CH4 and N2O where present", () => {
    expect(pollutantsIn(REPORT.data[0]!.emissions_lb).map((p) => p.key)).toEqual(["co2", "co2e", "nox", "so2"]);
    expect(pollutantsIn({ co2: 1, ch4: 0.1, n2o: null }).map((p) => p.key)).toEqual(["co2", "ch4"]);
  });
});

describe("mixAgainstUs", () => {
  it("gives the subregion's and the US's shares as chart rows", () => {
    const rows = mixAgainstUs(
      { code: "AKGD", name: "ASCC Alaska Grid", grid_gross_loss: 0.041, rates_lb_per_mwh: {}, resource_mix: { coal_share: 0.143, gas_share: 0.604, wind_share: null } },
      { code: "US", name: "United States", grid_gross_loss: 0.042, rates_lb_per_mwh: {}, resource_mix: { coal_share: 0.161 } },
    );
    expect(rows).toEqual([
      { key: "AKGD", label: "AKGD · ASCC Alaska Grid", coal_share: 0.143, gas_share: 0.604 },
      { key: "US", label: "United States", coal_share: 0.161 },
    ]);
    expect(mixAgainstUs(undefined, null)).toEqual([]);
  });
});

describe("the batch report", () => {
  it("has the API's CSV columns, with the pollutants present", () => {
    expect(reportColumns(REPORT)).toEqual([
      "site_id", "zip", "subregion", "interconnect", "year", "kwh",
      "co2_lb", "co2e_lb", "nox_lb", "so2_lb",
      "co2_rate_lb_per_mwh", "co2e_rate_lb_per_mwh", "nox_rate_lb_per_mwh", "so2_rate_lb_per_mwh",
      "grid_gross_loss", "rates_release", "rates_file", "grid_loss_release", "grid_loss_file", "error",
    ]);
  });
  it("gives each site its figures and the files they came from, or its error", () => {
    const [good, bad] = reportRows(REPORT);
    expect(good).toMatchObject({ site_id: "hq", co2_lb: 6754.283211678832, co2_rate_lb_per_mwh: 899.633, rates_file: "subregion_2023rev2.json / subregion features", grid_loss_release: 18, error: null });
    expect(bad).toMatchObject({ zip: "00000", co2_lb: null, error: "ZIP code 00000 is not in the 2023 ZIP code lookup" });
  });
  it("writes CSV a spreadsheet opens without running a formula, numbers unchanged", () => {
    const lines = reportCsv(REPORT).split("\r\n");
    expect(lines[0]).toMatch(/^site_id,zip,subregion,/);
    expect(lines[1]).toContain("hq,99501,AKGD,Alaska,2023,7200,6754.283211678832,");
    expect(lines[2]).toMatch(/^"'=HYPERLINK\(""http:\/\/x""\)",00000,/);
    expect(lines).toHaveLength(4); // header, two sites, and the final line break
  });
});
