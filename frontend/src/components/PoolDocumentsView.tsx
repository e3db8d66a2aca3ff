/** A pool's schema fields and terms in full, as fetched (and verified) from the node. */
import { usePoolDocuments } from "../hooks/usePoolDocuments";
import { describeError } from "../logic/errors";
import { formFieldsFromSchema } from "../logic/schemaForm";

export function PoolDocumentsView({
  schemaCid,
  termsCid,
}: {
  schemaCid: string;
  termsCid: string;
}) {
  const documents = usePoolDocuments(schemaCid, termsCid);
  if (documents.isPending) return <p className="muted">Loading the schema and terms…</p>;
  if (documents.error) {
    return (
      <p className="error">
        The schema and terms cannot be shown: {describeError(documents.error)}
      </p>
    );
  }
  let fields: string[];
  try {
    fields = formFieldsFromSchema(documents.data.schema).map(
      (field) => `${field.label}${field.required ? "" : " (optional)"}`,
    );
  } catch (error) {
    fields = [describeError(error)];
  }
  return (
    <>
      <h3>Each record holds</h3>
      <ul>
        {fields.map((field) => (
          <li key={field}>{field}</li>
        ))}
      </ul>
      <h3>Consent terms</h3>
      <div className="terms" tabIndex={0} aria-label="Consent terms">
        {documents.data.terms}
      </div>
    </>
  );
}
