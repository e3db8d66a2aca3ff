// Preloaded (`node --import`) into the child processes of the local stack (`hardhat node`, the data
// bank node of the end-to-end tests): the child stops when the process that started it dies, even
// by SIGKILL, which no handler of the parent can catch. Linux's PR_SET_PDEATHSIG is not available
// from Node, so the child watches its parent id: once the parent is gone the child is re-parented
// (to init or a subreaper) and `process.ppid` changes.
//
// Plain JavaScript: it is loaded into `hardhat node`, which runs without the TypeScript loader.

import { setInterval, clearInterval, setTimeout } from "node:timers";

/** How often the parent is checked; a dead parent's chain port is released within about this. */
const POLL_MS = 250;
/** How long a graceful stop (SIGTERM handlers) may take before the child exits anyway. */
const GRACE_MS = 5_000;

const parent = process.ppid;
const watch = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(watch);
  console.error(`the parent process ${parent} is gone; stopping`);
  // SIGTERM to itself runs the child's own shutdown (the node closes its database); then exit.
  setTimeout(() => process.exit(1), GRACE_MS).unref();
  process.kill(process.pid, "SIGTERM");
}, POLL_MS);
// The watch alone must not keep a child alive that has finished its work.
watch.unref();
