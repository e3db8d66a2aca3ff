// Hardhat's EDR runtime ships its native binding as an optional platform package. npm skips
// optional packages whose `engines` do not match the npm process's Node (20 on our machines), so
// on such machines we install the binding for this platform explicitly, under the pinned Node 22.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const modules = join(import.meta.dirname, "..", "node_modules");
const edrVersion = JSON.parse(
  readFileSync(join(modules, "@nomicfoundation", "edr", "package.json"), "utf8"),
).version;

function bindingName() {
  const { platform, arch } = process;
  if (platform === "linux") {
    const isMusl = !process.report?.getReport()?.header?.glibcVersionRuntime;
    return `@nomicfoundation/edr-linux-${arch}-${isMusl ? "musl" : "gnu"}`;
  }
  if (platform === "darwin") return `@nomicfoundation/edr-darwin-${arch}`;
  if (platform === "win32") return `@nomicfoundation/edr-win32-${arch}-msvc`;
  throw new Error(`Unsupported platform ${platform}-${arch} for Hardhat's EDR runtime`);
}

const binding = bindingName();
if (existsSync(join(modules, binding, "package.json"))) {
  console.log(`postinstall: ${binding} present`);
} else {
  console.log(`postinstall: installing ${binding}@${edrVersion} (npm skipped it)`);
  execFileSync(
    "npm",
    [
      "install",
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      `${binding}@${edrVersion}`,
    ],
    { stdio: "inherit" },
  );
}
