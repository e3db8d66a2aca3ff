/**
 * Writes the JSON Schemas generated from the library's zod schemas to docs/schemas/ (run after
 * changing a format; a test fails while the committed file and the code disagree).
 */
import { writeFileSync } from "node:fs";
import { exportBundleJsonSchema } from "../lib/portability/index.js";

const target = "docs/schemas/export-bundle.v1.schema.json";
writeFileSync(target, `${JSON.stringify(exportBundleJsonSchema(), null, 2)}\n`);
console.log(`generate-schemas: wrote ${target}`);
