/**
 * Writes the JSON Schemas generated from the library's zod schemas to docs/schemas/ (run after
 * changing a format; a test fails while the committed file and the code disagree).
 */
import { writeFileSync } from "node:fs";
import { poolProfileJsonSchema } from "../lib/pools/index.js";
import { exportBundleJsonSchema } from "../lib/portability/index.js";
import { queryJsonSchema, queryPolicyJsonSchema } from "../lib/query/index.js";

const schemas: [string, Record<string, unknown>][] = [
  ["docs/schemas/export-bundle.v1.schema.json", exportBundleJsonSchema()],
  ["docs/schemas/query.schema.json", queryJsonSchema()],
  ["docs/schemas/query-policy.schema.json", queryPolicyJsonSchema()],
  ["docs/schemas/pool-profile.schema.json", poolProfileJsonSchema()],
];
for (const [target, schema] of schemas) {
  writeFileSync(target, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`generate-schemas: wrote ${target}`);
}
