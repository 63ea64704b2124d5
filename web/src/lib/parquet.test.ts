// @vitest-environment node
// (jsdom's TextEncoder returns Uint8Arrays of another realm, which the Parquet writer rejects.)
import { parquetReadObjects } from "hyparquet";
import { rowsToParquet } from "./export";

describe("Parquet export of the rows shown", () => {
  it("holds exactly the shown columns and rows, with nulls", async () => {
    const rows = [
      { plant_id_eia: 1, plant_name: "Alpha", net_generation_mwh: 12.5, hidden: 1 },
      { plant_id_eia: 2, plant_name: null, net_generation_mwh: null, hidden: 2 },
    ];
    const buffer = await rowsToParquet(rows, ["plant_name", "net_generation_mwh"]);
    const back = await parquetReadObjects({ file: buffer });
    expect(back).toEqual([
      { plant_name: "Alpha", net_generation_mwh: 12.5 },
      { plant_name: null, net_generation_mwh: null },
    ]);
  });
});
