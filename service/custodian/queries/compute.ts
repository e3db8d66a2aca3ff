/**
 * Computing a query's answer over the records the custodian holds, in memory: each record's data
 * key comes from the key custody (kept at rest, so no HPKE per query), its envelope is opened, the
 * plaintext parsed and handed to the DP engine, and the key zeroed. Plaintext never goes to disk
 * or to the log; only counts do.
 */
import { openWithDataKey } from "../../../lib/crypto/envelope.js";
import { answerQuery, type CheckedQuery, type QueryResult } from "../../../lib/query/index.js";
import type { ContentStore } from "../../../lib/storage/types.js";
import type { ActiveContribution } from "../activeSet.js";
import type { KeyCustody } from "../delivery/keyCustody.js";

/** Records opened at once. */
const OPEN_CONCURRENCY = 16;

/** Arguments of {@link computeAnswer}. */
export interface ComputeAnswerParams {
  /** The query, checked against the pool's schema and policy with the purchase's ε. */
  query: CheckedQuery;
  /** The purchase's ε (micro-ε): the engine refuses to spend more. */
  epsilon: bigint;
  /** The statistics-scoped active set the answer is computed over (one record per contributor). */
  set: readonly ActiveContribution[];
  /** The deployment and pool, as the key custody names records. */
  where: { chainId: number; databank: `0x${string}`; poolId: number };
  /** The records' data keys. */
  custody: KeyCustody;
  /** Where the envelopes are. */
  content: ContentStore;
}

/**
 * The noisy answer (JSON and CSV).
 *
 * A record that is not JSON is passed on as `null`: it still counts as a contributor's record (the
 * count paid is the set's), and matches no filter and no field.
 *
 * @throws RecordRevokedError when a record's consent ended since the set was taken (retry with a
 *   fresh set); errors of the content store as they come.
 */
export async function computeAnswer(params: ComputeAnswerParams): Promise<QueryResult> {
  return answerQuery({
    records: openRecords(params),
    query: params.query,
    epsilon: params.epsilon,
  });
}

async function* openRecords(params: ComputeAnswerParams): AsyncGenerator<unknown> {
  const { set, where, custody, content } = params;
  for (let offset = 0; offset < set.length; offset += OPEN_CONCURRENCY) {
    const chunk = set.slice(offset, offset + OPEN_CONCURRENCY);
    const opened = await Promise.all(
      chunk.map(async (c) => {
        let envelope: Uint8Array | undefined;
        const dataKey = await custody.dataKey(
          { ...where, tokenId: c.tokenId, dataCid: c.dataCid },
          async () => (envelope = await content.get(c.dataCid)),
        );
        try {
          envelope ??= await content.get(c.dataCid);
          const plaintext = await openWithDataKey(envelope, dataKey);
          try {
            return JSON.parse(new TextDecoder().decode(plaintext)) as unknown;
          } catch {
            return null;
          } finally {
            plaintext.fill(0);
          }
        } finally {
          dataKey.fill(0);
        }
      }),
    );
    yield* opened;
  }
}
