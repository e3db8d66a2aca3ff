/**
 * A pool's JSON Schema and terms text, from the node, verified against their on-chain CIDs; and
 * the pool's profile (name, description, category), read from its schema document.
 */
import { useQueries, useQuery } from "@tanstack/react-query";
import { readPoolProfile, type PoolProfileReading } from "../../../lib/pools/profile.js";
import { fetchVerifiedContent } from "../chain/verifiedContent";
import { useRuntime } from "../runtime";

const decoder = new TextDecoder();

export interface PoolDocuments {
  schema: unknown;
  terms: string;
}

/** The query of one pool's schema document (content-addressed: cached for good). */
function schemaQuery(nodeUrl: string, schemaCid: string | undefined) {
  return {
    queryKey: ["schema", schemaCid],
    enabled: Boolean(schemaCid),
    staleTime: Infinity, // content-addressed: never changes
    queryFn: async (): Promise<unknown> =>
      JSON.parse(decoder.decode(await fetchVerifiedContent(nodeUrl, schemaCid!))) as unknown,
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
    queries: (pools ?? []).map((pool) => schemaQuery(runtime.nodeUrl, pool.schemaCid)),
  });
  const profiles = new Map<number, PoolProfileReading>();
  (pools ?? []).forEach((pool, index) => {
    const schema = results[index]?.data;
    profiles.set(pool.id, schema === undefined ? { status: "absent" } : readPoolProfile(schema));
  });
  return profiles;
}

/** One pool's profile (see {@link usePoolProfiles}). */
export function usePoolProfile(
  pool: { id: number; schemaCid: string } | undefined,
): PoolProfileReading {
  return usePoolProfiles(pool ? [pool] : undefined).get(pool?.id ?? -1) ?? { status: "absent" };
}
