/**
 * `npm run demo`: the full Databank scenario against the stack `npm start` runs (see
 * scripts/demo/scenario.ts), with a progress display and a summary of who received what.
 */
import { runDemoScenario } from "./demo/scenario.js";
import { summarise, terminalReporter } from "./demo/report.js";
import { connect, runCli } from "./cli.js";
import { localDemoAccounts } from "./stack/accounts.js";

runCli("demo", async () => {
  const { config, publicClient, databank } = await connect();
  console.log(
    `Databank demo on chain ${publicClient.chain.id} (${config.rpcUrl}), node ${config.nodeUrl}`,
  );
  const result = await runDemoScenario(
    {
      publicClient,
      rpcUrl: config.rpcUrl,
      nodeUrl: config.nodeUrl,
      databank,
      ...localDemoAccounts(),
    },
    terminalReporter(),
  );
  console.log(summarise(result));
});
