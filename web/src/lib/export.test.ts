import { neutraliseCell, rowsToCsv, rowsToJson } from "./export";

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
  it("neutralises text a spreadsheet would run as a formula, and keeps numbers numbers", () => {
    const hostile = [
      { name: '=HYPERLINK("http://x","y")', op: "@SUM(1)", a: "+1+1", b: "-2+3", c: "\t=1", d: "\r=1", n: -11, m: -1023.001, t: "-11" },
    ];
    const csv = rowsToCsv(hostile, ["name", "op", "a", "b", "c", "d", "n", "m", "t"]);
    expect(csv).toBe(
      'name,op,a,b,c,d,n,m,t\r\n"\'=HYPERLINK(""http://x"",""y"")","\'@SUM(1)","\'+1+1","\'-2+3","\'\t=1","\'\r=1",-11,-1023.001,-11\r\n',
    );
    expect(neutraliseCell("-")).toBe("'-");
    expect(neutraliseCell("+1e3")).toBe("+1e3");
    expect(neutraliseCell("a=b")).toBe("a=b");
  });
});
