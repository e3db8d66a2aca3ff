/**
 * Builds the embedded Helia 7 node with networking reduced to what Databank needs: TCP on
 * loopback, noise, yamux, identify (bitswap learns which peers speak it through identify) and
 * bitswap. No bootstrap list, mDNS, DHT, delegated routing, AutoNAT, UPnP, relay or public HTTP
 * gateways: the node only exchanges blocks with peers it is told to dial.
 */
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify } from "@libp2p/identify";
import { tcp } from "@libp2p/tcp";
import { FsBlockstore } from "blockstore-fs";
import { FsDatastore } from "datastore-fs";
import { createHelia } from "helia";
import { join } from "node:path";
import { loopbackOnlyConnectionGater } from "./loopback.js";

export type DatabankHelia = ReturnType<typeof createHelia>;

export interface DiskStores {
  blockstore: FsBlockstore;
  datastore: FsDatastore;
  close(): Promise<void>;
}

/** Blocks under `<dataDir>/blocks`, pins/keys/peer records under `<dataDir>/datastore`. */
export async function openDiskStores(dataDir: string): Promise<DiskStores> {
  const blockstore = new FsBlockstore(join(dataDir, "blocks"));
  const datastore = new FsDatastore(join(dataDir, "datastore"));
  // Helia starts but never opens stores it is given; the fs stores create their folders on open.
  await blockstore.open();
  await datastore.open();
  return {
    blockstore,
    datastore,
    close: async () => {
      await blockstore.close();
      await datastore.close();
    },
  };
}

export function createLoopbackHelia(init: {
  listen: string[];
  stores: DiskStores | undefined;
}): DatabankHelia {
  // Helia 7's createHelia always composes withBitswap(withLibp2p(withHTTP(createHeliaLight())));
  // it is the only public way to get bitswap 4 (the @helia/block-brokers in package.json is the
  // Helia 6 generation). Every default that reaches the Internet is overridden below:
  // - libp2p: `config: "replace"` (the default) replaces each top-level key of Helia's defaults
  //   that we pass, and we pass all of them (addresses, transports, encrypters, muxers,
  //   peerDiscovery, services);
  // - http: no delegated routers and no recursive gateways. The trustless-gateway block broker
  //   still exists but only fetches from providers that routing returns, and no router can
  //   return any (the libp2p router has no DHT or content routers behind it).
  return createHelia({
    blockstore: init.stores?.blockstore,
    datastore: init.stores?.datastore,
    libp2p: {
      config: "replace",
      addresses: { listen: init.listen },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery: [],
      services: { identify: identify() },
      connectionGater: loopbackOnlyConnectionGater(),
    },
    http: { delegatedRouters: [], recursiveGateways: [] },
  });
}
