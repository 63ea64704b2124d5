import { columnLabel, formatColumnValue, formatEnergy, formatPower, formatRate, formatShare, formatTons, unitOfColumn } from "./format";

describe("formatEnergy", () => {
  it("scales MWh to GWh and TWh with the unit", () => {
    expect(formatEnergy(950)).toBe("950\u00a0MWh");
    expect(formatEnergy(12_345)).toBe("12.3\u00a0GWh");
    expect(formatEnergy(4_180_000)).toBe("4.18\u00a0TWh");
    expect(formatEnergy(453_000_000)).toBe("453\u00a0TWh");
  });
  it("keeps negative net generation (pumped storage) negative", () => {
    expect(formatEnergy(-2_500)).toBe("-2.5\u00a0GWh");
  });
  it("shows a dash for missing values", () => {
    expect(formatEnergy(null)).toBe("—");
    expect(formatEnergy(undefined)).toBe("—");
    expect(formatEnergy(Number.NaN)).toBe("—");
  });
});

describe("other units", () => {
  it("formats tons, rates, power and shares", () => {
    expect(formatTons(1_234)).toBe("1,234\u00a0tons");
    expect(formatTons(56_700)).toBe("56.7k\u00a0tons");
    expect(formatTons(12_300_000)).toBe("12.3\u00a0million tons");
    expect(formatRate(1_023.456)).toBe("1,023.5\u00a0lb/MWh");
    expect(formatPower(850)).toBe("850\u00a0MW");
    expect(formatPower(3_937)).toBe("3.94\u00a0GW");
    expect(formatShare(0.4567)).toBe("45.7%");
  });
  it("reads the unit from canonical column names", () => {
    expect(unitOfColumn("net_generation_mwh")).toBe("MWh");
    expect(unitOfColumn("wind_generation_mwh")).toBe("MWh");
    expect(unitOfColumn("co2_rate_lb_per_mwh")).toBe("lb/MWh");
    expect(unitOfColumn("nameplate_capacity_mw")).toBe("MW");
    expect(unitOfColumn("so2_tons")).toBe("tons");
    expect(unitOfColumn("coal_share")).toBe("share");
    expect(unitOfColumn("plant_name")).toBe("none");
  });
  it("formats cells by column, leaving identifiers and years alone", () => {
    expect(formatColumnValue("plant_id_eia", 6145)).toBe("6145");
    expect(formatColumnValue("data_year", 2022)).toBe("2022");
    expect(formatColumnValue("net_generation_mwh", 2_000_000)).toBe("2\u00a0TWh");
    expect(formatColumnValue("plant_name", null)).toBe("—");
  });
  it("labels columns with their unit", () => {
    expect(columnLabel("net_generation_mwh")).toBe("Net generation (MWh)");
    expect(columnLabel("wind_generation_mwh")).toBe("Wind generation (MWh)");
    expect(columnLabel("other_fossil_share")).toBe("Other fossil share");
  });
});
