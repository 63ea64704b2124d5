import { rowsToCsv, rowsToJson } from "./export";

const rows = [
  { plant_id_eia: 1, plant_name: "Alpha, Inc. \"North\"", state: "NE", net_generation_mwh: 1234.5, hidden: "x" },
  { plant_id_eia: 2, plant_name: "Beta", state: "IA", net_generation_mwh: null, hidden: "y" },
];

describe("export of the rows shown", () => {
  it("writes exactly the shown columns, in order, with CSV quoting", () => {
    const csv = rowsToCsv(rows, ["plant_name", "net_generation_mwh", "state"]);
    expect(csv).toBe('plant_name,net_generation_mwh,state\r\n"Alpha, Inc. ""North""",1234.5,NE\r\nBeta,,IA\r\n');
    expect(csv).not.toContain("hidden");
  });
  it("writes JSON objects with only the shown columns and nulls for blanks", () => {
    expect(JSON.parse(rowsToJson(rows, ["plant_id_eia", "net_generation_mwh"]))).toEqual([
      { plant_id_eia: 1, net_generation_mwh: 1234.5 },
      { plant_id_eia: 2, net_generation_mwh: null },
    ]);
  });
  it("writes a header for an empty table", () => {
    expect(rowsToCsv([], ["a", "b"])).toBe("a,b\r\n");
  });
});
