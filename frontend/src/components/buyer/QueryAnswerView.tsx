/**
 * Opens an answered question in the browser (chain/answer: key released by the node, CID checked
 * against the chain, decrypted with the buyer's key, ε checked) and shows it as a table and a bar
 * chart, with its CSV to download. Loaded lazily: it brings the crypto code.
 */
import { useEffect, useRef, useState } from "react";
import { openQueryAnswer } from "../../chain/answer";
import { useDatabank } from "../../hooks/useDatabank";
import type { QueryPurchaseView } from "../../hooks/useMyQueries";
import { describeError } from "../../logic/errors";
import { answerSeries, answerTable } from "../../logic/queryAnswer";
import { downloadText } from "../../download";
import { useRuntime } from "../../runtime";
import type { AnswerBundle } from "../../../../lib/query/sealedAnswer.js";
import { AnswerChart } from "./AnswerChart";

type OpenState =
  | { phase: "working"; detail: string }
  | { phase: "open"; bundle: AnswerBundle }
  | { phase: "failed"; message: string };

export default function QueryAnswerView({ purchase }: { purchase: QueryPurchaseView }) {
  const { runtime } = useRuntime();
  const { address, walletClient, account } = useDatabank();
  const [state, setState] = useState<OpenState>({ phase: "working", detail: "Starting…" });
  const started = useRef(false);

  // The buyer asked to see the answer (the button that loaded this component): open it at once,
  // once (React may run effects twice in development).
  useEffect(() => {
    if (started.current || !walletClient || !account) return;
    started.current = true;
    openQueryAnswer({
      purchase,
      nodeUrl: runtime.nodeUrl,
      chainId: runtime.chainId,
      databank: address,
      walletClient,
      account,
      onProgress: (detail) => setState({ phase: "working", detail }),
    }).then(
      (bundle) => setState({ phase: "open", bundle }),
      (error: unknown) => setState({ phase: "failed", message: describeError(error) }),
    );
  }, [walletClient, account]);

  if (state.phase === "working") {
    return (
      <div className="tx-status" role="status" aria-live="polite">
        {state.detail}
      </div>
    );
  }
  if (state.phase === "failed") {
    return (
      <div className="tx-status tx-failed" role="alert">
        The answer could not be opened: {state.message}
      </div>
    );
  }
  const { answer, csv } = state.bundle;
  const table = answerTable(answer);
  const series = answerSeries(answer);
  return (
    <div aria-label={`Answer to question ${purchase.id}`} role="region">
      <p className="ok">
        Answer verified against the chain and decrypted in this browser: ε {answer.epsilon} spent,
        groups released only when their noisy count reached {answer.minNoisyCount}
        {answer.withheldGroups > 0 ? `; ${answer.withheldGroups} group(s) withheld` : ""}.
      </p>
      {table.rows.length === 0 ? (
        <p className="muted">
          No group cleared the release threshold: the answer has no row (fewer people than the
          threshold, or too much noise).
        </p>
      ) : (
        <div className="table-scroll">
          <table aria-label={`Answer table of question ${purchase.id}`}>
            <thead>
              <tr>
                {table.columns.map((column) => (
                  <th scope="col" key={column}>
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {table.rows.map((row, index) => (
                <tr key={index}>
                  {row.map((cell, column) => (
                    <td key={table.columns[column]}>{cell}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {series && <AnswerChart series={series} />}
      <p className="muted">
        Every number carries random noise (discrete Laplace, {answer.mechanism.composition}): that
        is what keeps each contributor private.
      </p>
      <div className="actions">
        <button
          type="button"
          onClick={() =>
            downloadText(
              `databank-pool-${purchase.poolId}-question-${purchase.id}.csv`,
              csv,
              "text/csv",
            )
          }
        >
          Download the answer (CSV)
        </button>
      </div>
    </div>
  );
}
