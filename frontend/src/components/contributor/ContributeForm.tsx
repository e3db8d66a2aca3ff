/**
 * Joins a pool: the terms in full, a form generated from the pool's schema, and an explicit
 * consent. The record is encrypted in the browser before anything is sent (chain/contribute).
 */
import { useQueryClient } from "@tanstack/react-query";
import { mostPrivateScope, type ConsentScopeBits } from "../../../../lib/contracts/client.js";
import { useMemo, useState, type FormEvent } from "react";
import { contributeRecord, type ContributionProgress } from "../../chain/contribute";
import type { PoolView } from "../../hooks/useChainData";
import { useDatabank } from "../../hooks/useDatabank";
import { usePoolDocuments } from "../../hooks/usePoolDocuments";
import { describeError } from "../../logic/errors";
import { purposesOf } from "../../logic/purposes";
import {
  formFieldsFromSchema,
  recordFromForm,
  type FormProblem,
  type FormValues,
} from "../../logic/schemaForm";
import { rejectionDetails } from "../../node/nodeApi";
import { useRuntime } from "../../runtime";
import { ErrorSummary, type SummaryProblem } from "../ErrorSummary";
import { ContributionProgressView } from "./ContributionProgressView";
import { OfferSummary } from "./OfferSummary";
import { ScopePicker } from "./ScopePicker";
import { SchemaFormFields } from "./SchemaFormFields";

export function ContributeForm({ pool }: { pool: PoolView }) {
  const { runtime } = useRuntime();
  const { address, publicClient, walletClient, account } = useDatabank();
  const queryClient = useQueryClient();
  const documents = usePoolDocuments(pool.schemaCid, pool.termsCid);
  const [values, setValues] = useState<FormValues>({});
  const [problems, setProblems] = useState<FormProblem[]>([]);
  /** The problems of the last failed submit, named by field label (a new list takes the focus). */
  const [summary, setSummary] = useState<SummaryProblem[]>([]);
  const [consented, setConsented] = useState(false);
  // Privacy first: the most private use the pool offers, until the contributor picks another.
  const [scope, setScope] = useState<ConsentScopeBits>(() => mostPrivateScope(pool.products));
  const [progress, setProgress] = useState<ContributionProgress>();
  const [failure, setFailure] = useState<{ message: string; details: string[] }>();
  const fields = useMemo(() => {
    try {
      return documents.data ? formFieldsFromSchema(documents.data.schema) : undefined;
    } catch {
      return undefined;
    }
  }, [documents.data]);
  const busy = progress !== undefined && progress.stage !== "done";

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!fields || !walletClient || !account) return;
    const built = recordFromForm(fields, values);
    setProblems(built.ok ? [] : built.problems);
    setSummary(
      built.ok
        ? []
        : built.problems.map((problem) => ({
            fieldId: problem.fieldId,
            message: `${fields.find((field) => field.id === problem.fieldId)?.label ?? "Field"}: ${problem.message}`,
          })),
    );
    if (!built.ok || !consented) return;
    setFailure(undefined);
    try {
      await contributeRecord({
        nodeUrl: runtime.nodeUrl,
        databank: address,
        publicClient,
        walletClient,
        account,
        pool,
        record: built.record,
        scope,
        onProgress: setProgress,
      });
      setValues({});
      await queryClient.invalidateQueries();
    } catch (error) {
      setProgress(undefined);
      setFailure({ message: describeError(error), details: rejectionDetails(error) });
    }
  }

  if (documents.isPending) return <p>Loading the pool's terms and schema…</p>;
  if (documents.error) return <p className="error">{describeError(documents.error)}</p>;
  if (!fields) return <p className="error">This pool's schema cannot be shown as a form.</p>;
  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby={`contribute-${pool.id}`}>
      <h2 id={`contribute-${pool.id}`}>Contribute to pool {pool.id}</h2>
      <h3>Terms, in full</h3>
      <div className="terms" tabIndex={0} aria-label="Consent terms">
        {documents.data.terms}
      </div>
      <p>
        Your record will be used for:{" "}
        {purposesOf(pool.purposes)
          .map((purpose) => `${purpose.name} (${purpose.description})`)
          .join("; ")}
        .
      </p>
      <h3>Your record</h3>
      <ErrorSummary problems={summary} />
      <SchemaFormFields
        fields={fields}
        values={values}
        problems={problems}
        onChange={(id, value) => setValues((previous) => ({ ...previous, [id]: value }))}
      />
      <ScopePicker poolId={pool.id} products={pool.products} value={scope} onChange={setScope} />
      <p className="muted">
        Your record is encrypted in this browser before it is sent: only the pool's custodian, you,
        and (if you allow records) buyers the custodian delivers to can read it. You can revoke your
        consent at any time.
      </p>
      <OfferSummary pool={pool} />
      <label className="inline" htmlFor={`consent-${pool.id}`}>
        <input
          id={`consent-${pool.id}`}
          type="checkbox"
          checked={consented}
          onChange={(event) => setConsented(event.target.checked)}
        />
        I have read the terms and consent to them.
      </label>
      <div className="actions">
        <button type="submit" disabled={!consented || busy || !account}>
          Encrypt and contribute
        </button>
      </div>
      {progress && <ContributionProgressView progress={progress} />}
      {failure && (
        <div className="tx-status tx-failed" role="alert">
          <strong>Contribution failed:</strong> {failure.message}
          {failure.details.length > 0 && (
            <ul>
              {failure.details.map((detail) => (
                <li key={detail}>{detail}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </form>
  );
}
