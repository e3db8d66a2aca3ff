/**
 * The one way Databank starts a browser (the dApp's end-to-end tests and their screenshots).
 *
 * By default it is the Chromium that ships inside the npm package `@sparticuz/chromium` (a
 * headless-shell build, with the NSS and expat libraries it links to and a font), so `npm install`
 * is all a machine needs: no apt package, no browser download. `DATABANK_CHROMIUM_PATH` names
 * another Chromium executable instead, e.g. Debian's `/usr/bin/chromium`.
 *
 * A browser that cannot start is an error saying what to do, never a reason to skip a test.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext } from "playwright-core";

/** The environment variable naming a Chromium executable to use instead of the bundled one. */
export const CHROMIUM_PATH_VARIABLE = "DATABANK_CHROMIUM_PATH";

/** The package whose Chromium is used by default. */
const BUNDLED_PACKAGE = "@sparticuz/chromium";

/**
 * Flags for every Chromium we launch. Deliberately not @sparticuz/chromium's own `args`: they
 * include `--single-process` (the browser crashes when a context closes) and
 * `--disable-web-security` with site isolation off, which would hide the CORS and origin bugs the
 * end-to-end tests are there to catch (the dApp, the chain and the node are three origins).
 */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const WHAT_TO_DO =
  `run \`npm install\` (the browser comes with the ${BUNDLED_PACKAGE} package), or set ` +
  `${CHROMIUM_PATH_VARIABLE} to a Chromium executable (e.g. /usr/bin/chromium after ` +
  "`apt-get install -y chromium`)";

/** A browser executable and how to run it. */
export interface ChromiumChoice {
  executablePath: string;
  /** Where it comes from, for messages: "@sparticuz/chromium 153.0.0" or the variable. */
  source: string;
  /** Extra environment of the browser process (the bundled libraries and fonts). */
  env: Record<string, string>;
}

/** The browser to use: `DATABANK_CHROMIUM_PATH` when set, else the bundled Chromium. */
export async function chooseChromium(
  env: Record<string, string | undefined> = process.env,
): Promise<ChromiumChoice> {
  const configured = env[CHROMIUM_PATH_VARIABLE]?.trim();
  if (configured) {
    if (!existsSync(configured)) {
      throw new Error(
        `${CHROMIUM_PATH_VARIABLE}=${configured}: no such file; point it at a Chromium executable, ` +
          `or unset it to use the Chromium bundled in ${BUNDLED_PACKAGE}`,
      );
    }
    return {
      executablePath: configured,
      source: `${CHROMIUM_PATH_VARIABLE}=${configured}`,
      env: {},
    };
  }
  return bundledChromium();
}

/**
 * Launches Chromium (see {@link chooseChromium}) with a persistent profile in `userDataDir`.
 *
 * @throws Error saying which browser failed and what to do.
 */
export async function launchChromiumContext(
  userDataDir: string,
  options: Omit<
    NonNullable<Parameters<typeof chromium.launchPersistentContext>[1]>,
    "executablePath" | "args" | "env" | "headless"
  > = {},
): Promise<BrowserContext> {
  let choice: ChromiumChoice;
  try {
    choice = await chooseChromium();
  } catch (error) {
    throw new Error(`no browser for the dApp's tests: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return await chromium.launchPersistentContext(userDataDir, {
      ...options,
      executablePath: choice.executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      env: { ...process.env, ...choice.env },
    });
  } catch (error) {
    throw new Error(
      `Chromium did not start (${choice.source}, ${choice.executablePath}); ${WHAT_TO_DO}. ` +
        `Playwright said: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * The bundled Chromium, extracted once per package version into the temporary directory. The
 * package itself would always extract to /tmp/chromium and reuse whatever is there (another
 * version's binary, or one half written by an interrupted run), so the extraction goes to a
 * fresh directory that is renamed into place only once complete.
 */
async function bundledChromium(): Promise<ChromiumChoice> {
  let packageDir: string;
  let version: string;
  let sparticuz: typeof import("@sparticuz/chromium");
  try {
    sparticuz = await import("@sparticuz/chromium");
    packageDir = dirname(dirname(fileURLToPath(import.meta.resolve(BUNDLED_PACKAGE))));
    version = (
      JSON.parse(await readFile(join(packageDir, "package.json"), "utf8")) as { version: string }
    ).version;
  } catch (error) {
    throw new Error(`cannot load ${BUNDLED_PACKAGE} (${(error as Error).message}); ${WHAT_TO_DO}`, {
      cause: error,
    });
  }
  const uid = process.getuid?.() ?? 0;
  const dir = join(tmpdir(), `databank-chromium-${version}-${uid}`);
  const complete = join(dir, "COMPLETE");
  if (!existsSync(complete)) {
    const staging = await mkdtemp(`${dir}.partial-`);
    try {
      await extractInto(staging, dir, sparticuz, join(packageDir, "bin"));
      await writeFile(join(staging, "COMPLETE"), `${BUNDLED_PACKAGE} ${version}\n`);
      await rename(staging, dir).catch((error: unknown) => {
        // Another process finished first: use its copy.
        if (!existsSync(complete)) throw error;
      });
    } catch (error) {
      throw new Error(
        `cannot extract the Chromium of ${BUNDLED_PACKAGE} ${version} into ${dir} (${(error as Error).message}); ${WHAT_TO_DO}`,
        { cause: error },
      );
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  return {
    executablePath: join(dir, "chromium"),
    source: `${BUNDLED_PACKAGE} ${version}`,
    env: {
      // The NSS, NSPR and expat libraries the binary links to, shipped with it (a fresh Debian
      // has none of them).
      LD_LIBRARY_PATH: [join(dir, "al2023", "lib"), process.env.LD_LIBRARY_PATH]
        .filter(Boolean)
        .join(":"),
      // The system's fonts when it has any, and the package's Open Sans in any case.
      FONTCONFIG_PATH: join(dir, "fontconfig"),
    },
  };
}

/**
 * Inflates the package's archives into `dir`: chromium, swiftshader's libraries next to it,
 * fonts/ and al2023/lib (libraries), plus a fontconfig/fonts.conf valid once `dir` is renamed to
 * `finalDir`. The package writes into `os.tmpdir()`, which it reads synchronously as each archive
 * starts inflating: TMPDIR points at `dir` for exactly that moment.
 */
async function extractInto(
  dir: string,
  finalDir: string,
  sparticuz: typeof import("@sparticuz/chromium"),
  binDir: string,
): Promise<void> {
  const saved = process.env.TMPDIR;
  let inflating: Promise<unknown>;
  process.env.TMPDIR = dir;
  try {
    inflating = Promise.all([
      sparticuz.default.executablePath(binDir),
      sparticuz.inflate(join(binDir, "al2023.tar.br")),
    ]);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  await inflating;
  for (const expected of ["chromium", "libGLESv2.so", "al2023/lib/libnss3.so", "fonts/fonts"]) {
    if (!existsSync(join(dir, expected))) {
      throw new Error(
        `${expected} is missing after extraction (has the package's layout changed?)`,
      );
    }
  }
  await rm(join(dir, "fonts", "fonts.conf"), { force: true }); // AWS Lambda's paths
  await mkdir(join(dir, "fontconfig"));
  await writeFile(
    join(dir, "fontconfig", "fonts.conf"),
    `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>${join(finalDir, "fonts", "fonts")}</dir>
  <cachedir>${join(finalDir, "fontconfig", "cache")}</cachedir>
</fontconfig>
`,
  );
}
