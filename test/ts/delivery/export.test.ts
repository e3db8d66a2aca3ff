import { expect } from "chai";
import {
  csvField,
  isJsonContentType,
  toCsv,
  toJsonLines,
  type DeliveredRecord,
} from "../../../lib/delivery/index.js";
import { jsonBytes } from "./helpers.js";

const record = (
  tokenId: bigint,
  data: unknown,
  contentType = "application/json",
): DeliveredRecord => ({
  tokenId,
  dataCid: `bafk-${tokenId}`,
  contentType,
  plaintext: typeof data === "string" ? new TextEncoder().encode(data) : jsonBytes(data),
});

/** A minimal RFC 4180 reader, to check the CSV parses back to the intended cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += c;
  }
  expect(cell, "file ends with CRLF").to.equal("");
  return rows;
}

describe("delivery/export: JSON Lines and CSV", () => {
  const records = [
    record(3n, { name: "Ada, Countess", bio: 'said "hi"\nthen left', skills: ["math", "poetry"] }),
    record(5n, { name: "Bob", age: 41, address: { city: "Paris", zip: "75001" }, active: true }),
    record(9n, { age: null, nickname: "=cmd", skills: [] }),
  ];

  it("CSV columns: tokenId, dataCid, then the union of top-level fields in first-seen order", () => {
    const csv = toCsv(records);
    expect(csv.columns).to.deep.equal([
      "tokenId",
      "dataCid",
      "name",
      "bio",
      "skills",
      "age",
      "address",
      "active",
      "nickname",
    ]);
    expect(csv.skipped).to.deep.equal([]);
  });

  it("CSV quoting is RFC 4180: commas, quotes and newlines quoted, quotes doubled, CRLF rows", () => {
    const { text } = toCsv(records);
    expect(text).to.include('"Ada, Countess"');
    expect(text).to.include('"said ""hi""\nthen left"');
    expect(text.endsWith("\r\n")).to.equal(true);
    const rows = parseCsv(text);
    expect(rows).to.have.length(4);
    expect(rows[1]).to.deep.equal([
      "3",
      "bafk-3",
      "Ada, Countess",
      'said "hi"\nthen left',
      "math; poetry",
      "",
      "",
      "",
      "",
    ]);
    expect(rows[2]).to.deep.equal([
      "5",
      "bafk-5",
      "Bob",
      "",
      "",
      "41",
      '{"city":"Paris","zip":"75001"}',
      "true",
      "",
    ]);
    expect(rows[3]).to.deep.equal(["9", "bafk-9", "", "", "", "", "", "", "=cmd"]);
    expect(csvField("plain")).to.equal("plain");
    expect(csvField("a\rb")).to.equal('"a\rb"');
  });

  it("CSV leaves out non-JSON and non-object records and says why; a field named tokenId gets a prefix", () => {
    const csv = toCsv([
      record(1n, { tokenId: "mine", x: 1 }),
      record(2n, "\u0000\u0001binary", "application/octet-stream"),
      record(4n, "[1,2]"),
      record(6n, "{broken", "application/json"),
    ]);
    expect(csv.columns).to.deep.equal(["tokenId", "dataCid", "data.tokenId", "x"]);
    expect(parseCsv(csv.text)[1]).to.deep.equal(["1", "bafk-1", "mine", "1"]);
    expect(csv.skipped.map((s) => [s.tokenId, s.reason])).to.deep.equal([
      [2n, "content type application/octet-stream is not JSON"],
      [4n, "it is an array, not an object"],
      [6n, "its bytes are not UTF-8 JSON"],
    ]);
  });

  it("JSON Lines: one object per record, JSON data inline, anything else in base64, nothing skipped", () => {
    const binary = record(2n, "\u0000\u0001binary", "application/octet-stream");
    const text = toJsonLines([...records, binary]);
    const lines = text.split("\n");
    expect(lines.at(-1)).to.equal("");
    const parsed = lines.slice(0, -1).map((line) => JSON.parse(line));
    expect(parsed).to.have.length(4);
    expect(parsed[0]).to.deep.equal({
      tokenId: "3",
      dataCid: "bafk-3",
      contentType: "application/json",
      data: { name: "Ada, Countess", bio: 'said "hi"\nthen left', skills: ["math", "poetry"] },
    });
    expect(parsed[3]).to.deep.equal({
      tokenId: "2",
      dataCid: "bafk-2",
      contentType: "application/octet-stream",
      dataBase64: Buffer.from(binary.plaintext).toString("base64"),
    });
  });

  it("recognises JSON media types", () => {
    expect(isJsonContentType("application/json")).to.equal(true);
    expect(isJsonContentType("application/json; charset=utf-8")).to.equal(true);
    expect(isJsonContentType("application/ld+json")).to.equal(true);
    expect(isJsonContentType("text/plain")).to.equal(false);
    expect(isJsonContentType("application/jsonx")).to.equal(false);
  });

  it("an empty delivery gives a header-only CSV and an empty JSON Lines file", () => {
    expect(toCsv([]).text).to.equal("tokenId,dataCid\r\n");
    expect(toJsonLines([])).to.equal("");
  });
});
