/**
 * `npm run serve`: runs the data bank node with the configuration from the environment (and
 * DATABANK_CONFIG); see docs/data-bank-node.md. Logs the URL, the custodian's address and public
 * key, never a secret. SIGINT/SIGTERM stop it gracefully. A configuration problem, or a data
 * directory made for another deployment, prints one line naming the variable to fix and exits with
 * status 2.
 */
import { ConfigError, loadConfig } from "../lib/config/index.js";
import { createConsoleLogger } from "./log.js";
import { startDatabankNode } from "./node.js";

async function main(): Promise<void> {
  let logger = createConsoleLogger();
  let node;
  try {
    const config = loadConfig({ requireCustodian: true });
    logger = createConsoleLogger(config.node.logLevel);
    const pauseAt = config.node.testPauseAt;
    // Tests only: halt for good at this checkpoint so that the test can SIGKILL us there.
    const pause =
      pauseAt === undefined
        ? undefined
        : async (name: string) => {
            if (name !== pauseAt) return;
            logger.warn(`paused at ${name}`, { reason: "DATABANK_TEST_PAUSE_AT" });
            await new Promise<never>(() => {});
          };
    node = await startDatabankNode({
      config,
      hooks: { logger, deliveryCheckpoint: pause, contributionCheckpoint: pause },
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  logger.info("data bank node listening", {
    url: node.url,
    databank: node.databank.address,
    custodian: node.address,
    custodianPublicKey: node.custodianPublicKey,
    storage: node.store.kind,
  });

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping", { signal });
    node.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error("stop failed", { problem: (error as Error).message });
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(
    `the data bank node failed to start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
