/** A pool's schema fields and terms in full, as fetched (and verified) from the node. */
import { usePoolDocuments } from "../hooks/usePoolDocuments";
import { describeError } from "../logic/errors";
import { fieldPreview, type FieldPreview } from "../logic/fieldPreview";
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
  let fields: FieldPreview[];
  try {
    fields = formFieldsFromSchema(documents.data.schema).map(fieldPreview);
  } catch (error) {
    return <p className="error">{describeError(error)}</p>;
  }
  return (
    <>
      <table aria-label="Fields of each record">
        <caption>Each record holds (from the pool&apos;s schema)</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Type</th>
            <th scope="col">Allowed values</th>
          </tr>
        </thead>
        <tbody>
          {fields.map((field) => (
            <tr key={field.label}>
              <th scope="row">
                {field.label}
                {field.required ? "" : " (optional)"}
              </th>
              <td>{field.type}</td>
              <td>{field.constraint || "any"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Consent terms</h3>
      <div className="terms" tabIndex={0} aria-label="Consent terms">
        {documents.data.terms}
      </div>
    </>
  );
}
