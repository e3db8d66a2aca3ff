/** A pool's JSON Schema and terms text, from the node, verified against their on-chain CIDs. */
import { useQuery } from "@tanstack/react-query";
import { fetchVerifiedContent } from "../chain/verifiedContent";
import { useRuntime } from "../runtime";

const decoder = new TextDecoder();

export interface PoolDocuments {
  schema: unknown;
  terms: string;
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
