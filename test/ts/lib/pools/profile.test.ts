import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { expect } from "chai";
import {
  MAX_POOL_NAME,
  POOL_CATEGORIES,
  POOL_PROFILE_KEYWORD,
  PoolProfileError,
  parsePoolProfile,
  poolProfileJsonSchema,
  poolTitle,
  readPoolProfile,
  withPoolProfile,
} from "../../../../lib/pools/index.js";
import { demoResume } from "../../../../scripts/demo/resumes.js";

const resumeSchema = JSON.parse(
  readFileSync(
    new URL("../../../../lib/custodian/schemas/resume.schema.json", import.meta.url),
    "utf8",
  ),
) as Record<string, unknown>;

const profile = {
  name: "Software engineers in Guiyang",
  description: "Resumes of software engineers, sold to recruiters and labour-market researchers.",
  category: "employment" as const,
};

describe("lib/pools: a pool's profile (name, description, category)", () => {
  it("the committed JSON Schema agrees with the code and accepts a profile", () => {
    const committed = JSON.parse(readFileSync("docs/schemas/pool-profile.schema.json", "utf8"));
    expect(committed, "run npm run schemas").to.deep.equal(poolProfileJsonSchema());
    const ajv = new Ajv2020({ strict: false });
    expect(ajv.validate(committed, profile), JSON.stringify(ajv.errors)).to.equal(true);
    expect(ajv.validate(committed, { ...profile, category: "gossip" })).to.equal(false);
  });

  it("round-trips through the schema document, which still validates records as before", () => {
    const document = withPoolProfile(resumeSchema, { ...profile, name: `  ${profile.name} ` });
    expect(document[POOL_PROFILE_KEYWORD].name, "trimmed").to.equal(profile.name);
    expect(readPoolProfile(JSON.parse(JSON.stringify(document)))).to.deep.equal({
      status: "valid",
      profile,
    });
    expect(poolTitle(7, readPoolProfile(document))).to.equal(profile.name);
    const record = new Ajv2020({ strict: false }).compile(resumeSchema);
    const withProfile = new Ajv2020({ strict: false }).compile(document);
    expect(record(demoResume(0)), "a valid resume").to.equal(true);
    expect(withProfile(demoResume(0)), "still valid").to.equal(true);
    expect(withProfile({ name: 3 }), "an invalid one still invalid").to.equal(false);
  });

  it("a pool without a profile, or with a broken one, is 'Pool N', and the problem is named", () => {
    expect(readPoolProfile(resumeSchema)).to.deep.equal({ status: "absent" });
    expect(readPoolProfile(undefined)).to.deep.equal({ status: "absent" });
    expect(poolTitle(7n, readPoolProfile(resumeSchema))).to.equal("Pool 7");
    expect(poolTitle(3, undefined)).to.equal("Pool 3");
    const broken = readPoolProfile({ [POOL_PROFILE_KEYWORD]: { ...profile, category: "gossip" } });
    expect(broken.status).to.equal("invalid");
    expect(broken.status === "invalid" && broken.problem).to.match(
      /category: choose one of employment/,
    );
    expect(poolTitle(4, broken)).to.equal("Pool 4");
  });

  it("names the field to fix: too short, too long, unknown category, unknown key", () => {
    const cases: [unknown, string, RegExp][] = [
      [{ ...profile, name: " ab " }, "name", /at least 3 characters/],
      [{ ...profile, name: "x".repeat(MAX_POOL_NAME + 1) }, "name", /80 characters/],
      [{ ...profile, description: "short" }, "description", /at least 10 characters/],
      [{ ...profile, category: "Employment" }, "category", /choose one of/],
      [{ ...profile, price: 3 }, "", /price/],
      ["a name", "", /root/],
    ];
    for (const [value, field, message] of cases) {
      let caught: unknown;
      try {
        parsePoolProfile(value);
      } catch (error) {
        caught = error;
      }
      expect(caught, JSON.stringify(value)).to.be.instanceOf(PoolProfileError);
      expect((caught as PoolProfileError).field, JSON.stringify(value)).to.equal(field);
      expect((caught as PoolProfileError).message, JSON.stringify(value)).to.match(message);
    }
    expect(() => withPoolProfile({}, { ...profile, name: "" })).to.throw(PoolProfileError);
    expect(Object.keys(POOL_CATEGORIES)).to.include("other");
  });
});
