/**
 * A pool's JSON Schema and terms text, from the node, verified against their on-chain CIDs; and
 * the pool's profile (name, description, category), read from its schema document.
 */
import { useQueries, useQuery } from "@tanstack/react-query";
import type { PoolProfileReading } from "../../../lib/pools/profile.js";
import { fetchVerifiedContent } from "../chain/verifiedContent";
import { useRuntime } from "../runtime";

const decoder = new TextDecoder();

export interface PoolDocuments {
  schema: unknown;
  terms: string;
}

/** The query of one pool's profile, read from its schema document (content-addressed: cached). */
function profileQuery(nodeUrl: string, schemaCid: string | undefined) {
  return {
    queryKey: ["profile", schemaCid],
    enabled: Boolean(schemaCid),
    staleTime: Infinity, // content-addressed: never changes
    queryFn: async (): Promise<PoolProfileReading> => {
      const [bytes, { readPoolProfile }] = await Promise.all([
        fetchVerifiedContent(nodeUrl, schemaCid!),
        // The validator (zod) loads with the first profile, not with the first page.
        import("../../../lib/pools/profile.js"),
      ]);
      return readPoolProfile(JSON.parse(decoder.decode(bytes)) as unknown);
    },
  };
}

export function usePoolDocuments(schemaCid: string | undefined, termsCid: string | undefined) {
  const { runtime } = useRuntime();
  return useQuery({
    queryKey: ["documents", schemaCid, termsCid],
    enabled: Boolean(schemaCid && termsCid),
    staleTime: Infinity, // content-addressed: never changes
    queryFn: async (): Promise<PoolDocuments> => {
      const [schemaBytes, termsBytes] = await Promise.all([
        fetchVerifiedContent(runtime.nodeUrl, schemaCid!),
        fetchVerifiedContent(runtime.nodeUrl, termsCid!),
      ]);
      return {
        schema: JSON.parse(decoder.decode(schemaBytes)) as unknown,
        terms: decoder.decode(termsBytes),
      };
    },
  });
}

/**
 * The profiles of some pools, by pool id: "absent" until a schema is read or when it cannot be
 * (the pool is then shown as "Pool N", never hidden).
 *
 * @param pools - the pools, with their schema CIDs (PoolView has both)
 */
export function usePoolProfiles(
  pools: readonly { id: number; schemaCid: string }[] | undefined,
): Map<number, PoolProfileReading> {
  const { runtime } = useRuntime();
  const results = useQueries({
    queries: (pools ?? []).map((pool) => profileQuery(runtime.nodeUrl, pool.schemaCid)),
  });
  const profiles = new Map<number, PoolProfileReading>();
  (pools ?? []).forEach((pool, index) => {
    profiles.set(pool.id, results[index]?.data ?? { status: "absent" });
  });
  return profiles;
}

/** One pool's profile (see {@link usePoolProfiles}). */
export function usePoolProfile(
  pool: { id: number; schemaCid: string } | undefined,
): PoolProfileReading {
  return usePoolProfiles(pool ? [pool] : undefined).get(pool?.id ?? -1) ?? { status: "absent" };
}
