/**
 * What `hardhat verify` (Etherscan, Blockscout, Sourcify) submits is the build info's standard
 * JSON input. Offline, we check that this input reproduces the metadata whose IPFS hash the
 * deployed bytecode carries in its CBOR trailer, and that the runtime code deployed through
 * Ignition equals the artifact's (outside immutables): an explorer would then match the source.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { expect } from "chai";
import { network } from "hardhat";
import { importBytes } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { CID } from "multiformats/cid";
import { bytesToHex, hexToBytes, type Hex } from "viem";
import DatabankModule from "../../../ignition/modules/Databank.js";
import { DATABANK_LIBRARIES, type DatabankLibrary } from "../../../lib/contracts/libraries.js";

const require = createRequire(import.meta.url);

interface Artifact {
  deployedBytecode: Hex;
  immutableReferences: Record<string, { start: number; length: number }[]>;
  /** Where each linked library's address goes (placeholders `__$…$__` in the bytecode). */
  deployedLinkReferences: Record<string, Record<string, { start: number; length: number }[]>>;
  inputSourceName: string;
  buildInfoId: string;
}

/** The `ipfs` multihash of the CBOR metadata trailer solc appends to runtime code. */
function metadataMultihash(runtimeCode: Uint8Array): Uint8Array {
  const cborLength =
    (runtimeCode[runtimeCode.length - 2]! << 8) | runtimeCode[runtimeCode.length - 1]!;
  const cbor = runtimeCode.subarray(runtimeCode.length - 2 - cborLength, runtimeCode.length - 2);
  // a2 64 'ipfs' 58 22 <34 bytes>: a map whose first entry is a 34-byte string under "ipfs".
  const prefix = [0xa2, 0x64, 0x69, 0x70, 0x66, 0x73, 0x58, 0x22];
  prefix.forEach((byte, i) => expect(cbor[i], `CBOR byte ${i}`).to.equal(byte));
  return cbor.subarray(prefix.length, prefix.length + 34);
}

/** The CIDv0 multihash `ipfs add` gives a file (as solc computes the metadata hash). */
async function ipfsAddMultihash(content: Uint8Array): Promise<Uint8Array> {
  const { cid } = await importBytes(
    content,
    { put: async (c: CID) => c },
    {
      cidVersion: 0,
      rawLeaves: false,
      reduceSingleLeafToSelf: true,
      chunker: fixedSize({ chunkSize: 262_144 }),
    },
  );
  return cid.multihash.bytes;
}

/** The slots a deployment fills in: immutables (set by the constructor) and linked libraries. */
function deploymentSlots(artifact: Artifact): { start: number; length: number }[] {
  return [
    ...Object.values(artifact.immutableReferences).flat(),
    ...Object.values(artifact.deployedLinkReferences)
      .flatMap((libraries) => Object.values(libraries))
      .flat(),
  ];
}

/** Zeroes the slots that differ per deployment. */
function withoutDeploymentSlots(code: Uint8Array, artifact: Artifact): Hex {
  const copy = new Uint8Array(code);
  for (const { start, length } of deploymentSlots(artifact)) copy.fill(0, start, start + length);
  return bytesToHex(copy);
}

/** The artifact's runtime code with its library placeholders as zero bytes. */
function unlinkedCode(artifact: Artifact): Uint8Array {
  return hexToBytes(
    artifact.deployedBytecode.replace(/__\$[0-9a-f]{34}\$__/g, "0".repeat(40)) as Hex,
  );
}

describe("contract verification inputs (offline)", function () {
  this.timeout(120_000);

  it("the build info's standard JSON reproduces the metadata hash of the deployed Databank", async () => {
    const artifact = JSON.parse(
      readFileSync(join("artifacts", "contracts", "Databank.sol", "Databank.json"), "utf8"),
    ) as Artifact;
    const buildInfo = JSON.parse(
      readFileSync(join("artifacts", "build-info", `${artifact.buildInfoId}.json`), "utf8"),
    ) as { solcLongVersion: string; input: { settings: { outputSelection: unknown } } };

    const { ignition, viem } = await network.create();
    const deployment = await ignition.deploy(DatabankModule);
    const { databank } = deployment;
    const publicClient = await viem.getPublicClient();
    const deployed = hexToBytes((await publicClient.getCode({ address: databank.address }))!);

    expect(withoutDeploymentSlots(deployed, artifact)).to.equal(
      withoutDeploymentSlots(unlinkedCode(artifact), artifact),
    );
    // Every link slot holds the library of its name that Ignition deployed.
    const links = Object.values(artifact.deployedLinkReferences).flatMap((l) => Object.entries(l));
    expect(links.map(([name]) => name).sort()).to.deep.equal([...DATABANK_LIBRARIES].sort());
    for (const [name, slots] of links) {
      const library = (deployment as unknown as Record<DatabankLibrary, { address: string }>)[
        name as DatabankLibrary
      ];
      for (const { start, length } of slots) {
        expect(bytesToHex(deployed.subarray(start, start + length))).to.equal(
          library.address.toLowerCase(),
        );
      }
    }

    const solc = require("solc") as { compile(input: string): string; version(): string };
    expect(buildInfo.solcLongVersion).to.equal(solc.version().replace(".Emscripten.clang", ""));
    const input = structuredClone(buildInfo.input);
    input.settings.outputSelection = { [artifact.inputSourceName]: { Databank: ["metadata"] } };
    const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
      errors?: { severity: string; message: string }[];
      contracts: Record<string, Record<string, { metadata: string }>>;
    };
    expect((output.errors ?? []).filter((e) => e.severity === "error")).to.deep.equal([]);
    const metadata = output.contracts[artifact.inputSourceName]!.Databank!.metadata;

    const fromSource = await ipfsAddMultihash(new TextEncoder().encode(metadata));
    expect(bytesToHex(metadataMultihash(deployed))).to.equal(bytesToHex(fromSource));
  });
});
