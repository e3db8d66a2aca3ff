import { expect } from "chai";
import { nodeWaitOptions, UsageError } from "../../../scripts/cli.js";

describe("scripts/cli: the node options of npm run buyer and npm run query", () => {
  const example = "http://127.0.0.1:8787";

  it("takes a URL and whole seconds up to a day, as milliseconds", () => {
    expect(
      nodeWaitOptions({ "node-url": "http://10.0.0.2:9000", wait: "90" }, example),
    ).to.deep.equal({ nodeUrl: "http://10.0.0.2:9000", waitMs: 90_000 });
    expect(nodeWaitOptions({ "node-url": example, wait: "0" }, example).waitMs).to.equal(0);
  });

  it("refuses anything else with one line naming the option to fix", () => {
    const cases: [{ "node-url": string; wait: string }, RegExp][] = [
      [
        { "node-url": "127.0.0.1:8787", wait: "1" },
        /^--node-url must be a URL such as http:\/\/127\.0\.0\.1:8787$/,
      ],
      [{ "node-url": "not a url", wait: "1" }, /^--node-url must be a URL/],
      [
        { "node-url": example, wait: "1.5" },
        /^--wait takes whole seconds from 0 to 86400, not "1\.5"$/,
      ],
      [{ "node-url": example, wait: "-3" }, /^--wait takes whole seconds/],
      [{ "node-url": example, wait: "86401" }, /^--wait takes whole seconds/],
    ];
    for (const [values, message] of cases) {
      let caught: unknown;
      try {
        nodeWaitOptions(values, example);
      } catch (error) {
        caught = error;
      }
      expect(caught, JSON.stringify(values)).to.be.instanceOf(UsageError);
      expect((caught as Error).message, JSON.stringify(values)).to.match(message);
      expect((caught as Error).message).to.not.include("\n");
    }
  });
});
