/**
 * `npm start` leaves nothing behind when it is killed, and names what holds a port it needs. The
 * stack script runs as a real child process on free loopback ports; it is killed by SIGKILL, which
 * no handler of its own can catch, so only its children's watchdog (scripts/stack/exitWithParent.mjs)
 * can free the chain port.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { createInterface } from "node:readline";
import { expect } from "chai";
import {
  freePort,
  isListening,
  PortInUseError,
  assertPortFree,
} from "../../../scripts/stack/ports.js";

const HOST = "127.0.0.1";

/** `scripts/start.ts` in its own process group (so that the test can clean up after a failure). */
function startScript(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on("line", (line) => lines.push(line));
  }
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  return { child, lines, exited };
}

/** Kills whatever is left of the process group of `child` (only processes this test started). */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // Already gone.
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

describe("npm start: no orphan chain, and a taken port named", function () {
  this.timeout(120_000);

  it("SIGKILL of the stack script releases the chain port within a few seconds", async function () {
    const ports = { chain: await freePort(), node: await freePort(), dapp: await freePort() };
    const start = startScript({
      DATABANK_CHAIN_PORT: String(ports.chain),
      DATABANK_NODE_PORT: String(ports.node),
      DATABANK_DAPP_PORT: String(ports.dapp),
    });
    try {
      const up = await waitFor(() => isListening(HOST, ports.chain), 60_000);
      expect(
        up,
        `the chain never listened; the script printed:\n${start.lines.join("\n")}`,
      ).to.equal(true);
      start.child.kill("SIGKILL");
      await start.exited;
      const released = await waitFor(async () => !(await isListening(HOST, ports.chain)), 5_000);
      expect(released, `port ${ports.chain} still taken 5 s after the script was killed`).to.equal(
        true,
      );
    } finally {
      killGroup(start.child);
    }
  });

  describe("a port already taken", function () {
    let chainLike: Server;
    let port: number;

    before(async () => {
      // Answers eth_chainId as a hardhat node left running would.
      chainLike = createServer((request, response) => {
        request.resume();
        request.on("end", () => {
          response.setHeader("Content-Type", "application/json");
          response.end(JSON.stringify({ jsonrpc: "2.0", id: 1, result: "0x7a69" }));
        });
      });
      await new Promise<void>((resolve) => chainLike.listen(0, HOST, resolve));
      port = (chainLike.address() as { port: number }).port;
    });
    after(() => new Promise<void>((resolve) => chainLike.close(() => resolve())));

    it("a chain left on the chain port makes the stack script stop at once with the precise message", async function () {
      const start = startScript({
        DATABANK_CHAIN_PORT: String(port),
        DATABANK_NODE_PORT: String(await freePort()),
        DATABANK_DAPP_PORT: String(await freePort()),
      });
      try {
        expect(await start.exited).to.equal(2);
        const output = start.lines.join("\n");
        expect(output).to.include(
          `something is already listening on ${HOST}:${port} (a chain with id 31337 answering JSON-RPC — probably a hardhat node left over from an earlier npm start: stop it, or set DATABANK_CHAIN_PORT)`,
        );
        expect(output).to.not.include("is another npm start running");
        expect(output).to.not.include("local chain on");
      } finally {
        killGroup(start.child);
      }
    });

    it("something else on a port is named as not a chain, with the setting that moves it", async function () {
      const tcp = createTcpServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => tcp.listen(0, HOST, resolve));
      const tcpPort = (tcp.address() as { port: number }).port;
      try {
        const error = await assertPortFree(HOST, tcpPort, "DATABANK_NODE_PORT").then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(PortInUseError);
        expect((error as PortInUseError).chainId).to.equal(undefined);
        expect((error as Error).message).to.equal(
          `something is already listening on ${HOST}:${tcpPort} (it does not answer JSON-RPC: stop it, or set DATABANK_NODE_PORT)`,
        );
        await assertPortFree(HOST, await freePort(), "DATABANK_NODE_PORT"); // a free one passes
      } finally {
        await new Promise<void>((resolve) => tcp.close(() => resolve()));
      }
    });
  });
});
