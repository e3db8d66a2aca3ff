/**
 * Opens a pool: schema and terms are uploaded to the data bank node (their CIDs go on-chain), the
 * node's custodian address and key are read from it, then `createPool` is sent.
 */
import { useState, type FormEvent } from "react";
import { parseEventLogs, zeroAddress, type Address, type Hex } from "viem";
import { CONSENT_SCOPE, databankAbi } from "../../../../lib/contracts/client.js";
import { useTransaction } from "../../hooks/useTransaction";
import { useTokenInfo } from "../../hooks/useChainData";
import { withPoolProfile } from "../../../../lib/pools/profile.js";
import {
  DEFAULT_POOL_FORM,
  EMPTY_POOL_PROFILE,
  poolParamsFromForm,
  poolProfileFromForm,
  type PoolFormValues,
  type PoolProfileFormValues,
} from "../../logic/poolForm";
import { formatEpsilon } from "../../../../lib/query/epsilon.js";
import { parseEpsilonInput } from "../../logic/privacy";
import { defaultQueryPolicy, policyFromText, schemaWithPolicy } from "../../logic/queryPolicyDraft";
import { buildJsonSchema, builderProblems, type BuilderField } from "../../logic/schemaBuilder";
import { nodeApi } from "../../node/nodeApi";
import { useRuntime } from "../../runtime";
import { ErrorSummary, type SummaryProblem } from "../ErrorSummary";
import { PurposesPicker } from "../PurposesPicker";
import { FieldProblem, problemIdOf, TextField } from "../TextField";
import { TransactionStatus } from "../TransactionStatus";
import { ProductFields } from "./ProductFields";
import { ProfileFields } from "./ProfileFields";
import { SchemaBuilder } from "./SchemaBuilder";

const RESUME_FIELDS: BuilderField[] = [
  { name: "title", title: "Job title", type: "text", required: true, options: [] },
  {
    name: "yearsOfExperience",
    title: "Years of experience",
    type: "integer",
    required: true,
    options: [],
    minimum: 0,
    maximum: 60,
  },
  { name: "skills", title: "Skills", type: "textList", required: true, options: [] },
  { name: "city", title: "City", type: "text", required: true, options: [] },
  {
    name: "education",
    title: "Education",
    type: "choice",
    required: true,
    options: ["none", "secondary", "bachelor", "master", "doctorate"],
  },
];

const DEFAULT_SCHEMA_TITLE = "Software engineer resume";

/** Where a link of the error summary takes the curator, per problem key, in the form's order. */
const PROBLEM_FIELDS: readonly (readonly [problemKey: string, fieldId: string])[] = [
  ["name", "pool-name"],
  ["description", "pool-description"],
  ["category", "pool-category"],
  ["terms", "pool-terms"],
  ["purposes", "pool-purposes"],
  ["contributorSharePercent", "pool-share"],
  ["price", "pool-price"],
  ["queryPrice", "pool-query-price"],
  ["epsilonBudget", "pool-epsilon-budget"],
  ["maxEpsilonPerQuery", "pool-epsilon-per-query"],
  ["policy", "pool-query-policy"],
  ["minContributors", "pool-min"],
  ["maxContributors", "pool-max"],
  ["bounty", "pool-bounty"],
  ["deliveryWindowHours", "pool-window"],
];

/**
 * The error summary's lines: each field's problem linked to its field, then the schema builder's
 * problems (about the builder as a whole, so not linked).
 */
function summaryOf(
  problems: Record<string, string>,
  schemaProblems: readonly string[],
): SummaryProblem[] {
  return [
    ...PROBLEM_FIELDS.filter(([key]) => problems[key]).map(([key, fieldId]) => ({
      fieldId,
      message: problems[key]!,
    })),
    ...schemaProblems.map((message) => ({ message: `Schema: ${message}` })),
  ];
}

const encoder = new TextEncoder();

export function CreatePoolForm() {
  const { runtime } = useRuntime();
  const transaction = useTransaction();
  const [values, setValues] = useState<PoolFormValues>(DEFAULT_POOL_FORM);
  const [profile, setProfile] = useState<PoolProfileFormValues>(EMPTY_POOL_PROFILE);
  const [schemaTitle, setSchemaTitle] = useState(DEFAULT_SCHEMA_TITLE);
  const [fields, setFields] = useState<BuilderField[]>(RESUME_FIELDS);
  const [problems, setProblems] = useState<Record<string, string>>({});
  /** The problems of the last failed submit, for the summary (a new list takes the focus). */
  const [summary, setSummary] = useState<SummaryProblem[]>([]);
  /** The curator's edit of the query policy; undefined: the default for the current fields. */
  const [editedPolicy, setEditedPolicy] = useState<string>();
  const [created, setCreated] = useState<{ id: number; name: string }>();
  const tokenAddress: Address = values.token === "native" ? zeroAddress : (values.token as Address);
  const { data: token } = useTokenInfo(tokenAddress);
  const set = (key: keyof PoolFormValues) => (value: string) =>
    setValues((previous) => ({ ...previous, [key]: value }));

  const schemaProblems = builderProblems(schemaTitle, fields);
  // The policy's maxEpsilon is the per-question maximum (replaced by it on submit anyway).
  const maxEpsilonText =
    parseEpsilonInput(values.maxEpsilonPerQuery) !== undefined
      ? values.maxEpsilonPerQuery.trim()
      : "1";
  const policyText =
    editedPolicy ?? JSON.stringify(defaultQueryPolicy(fields, maxEpsilonText), null, 2);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!token) return;
    const checked = poolParamsFromForm(values, token);
    const checkedProfile = poolProfileFromForm(profile);
    const found = {
      ...(checked.ok ? {} : checked.problems),
      ...(checkedProfile.ok ? {} : checkedProfile.problems),
    };
    let schema = schemaProblems.length === 0 ? buildJsonSchema(schemaTitle, fields) : undefined;
    if (schema && checked.ok && (checked.params.products & CONSENT_SCOPE.statistics) !== 0) {
      const policy = policyFromText(
        policyText,
        schema,
        formatEpsilon(BigInt(checked.params.maxEpsilonPerQuery)),
      );
      if (policy.ok) schema = schemaWithPolicy(schema, policy.policy);
      else found.policy = policy.problem;
    }
    setProblems(found);
    setSummary(summaryOf(found, schemaProblems));
    if (!schema || !checked.ok || !checkedProfile.ok || Object.keys(found).length > 0) return;
    schema = withPoolProfile(schema, checkedProfile.profile);
    const poolId = await transaction.run("Create pool", async ({ progress, writeDatabank }) => {
      progress("Reading the custodian of the data bank node…");
      const api = await nodeApi(runtime.nodeUrl);
      const custodian = await api.custodian();
      progress("Uploading the schema and the terms…");
      const schemaUpload = await api.uploadContent(encoder.encode(JSON.stringify(schema, null, 2)));
      const termsUpload = await api.uploadContent(encoder.encode(values.terms));
      const receipt = await writeDatabank("createPool", [
        {
          paymentToken: tokenAddress,
          ...checked.params,
          custodian: custodian.address,
          custodianKey: custodian.publicKey as Hex,
          schemaCid: schemaUpload.cid,
          termsCid: termsUpload.cid,
        },
      ]);
      const [created] = parseEventLogs({
        abi: databankAbi,
        eventName: "PoolCreated",
        logs: receipt.logs,
      });
      return created?.args.poolId;
    });
    if (poolId === undefined) return;
    setCreated({ id: poolId, name: checkedProfile.profile.name });
    // A fresh form: the same pool must not be one click away from being opened twice.
    setValues(DEFAULT_POOL_FORM);
    setProfile(EMPTY_POOL_PROFILE);
    setSchemaTitle(DEFAULT_SCHEMA_TITLE);
    setFields(RESUME_FIELDS);
    setEditedPolicy(undefined);
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="create-pool-heading" noValidate>
      <h2 id="create-pool-heading">Open a pool</h2>
      <ErrorSummary problems={summary} />
      <ProfileFields values={profile} problems={problems} onChange={setProfile} />
      <SchemaBuilder
        title={schemaTitle}
        fields={fields}
        onTitleChange={setSchemaTitle}
        onFieldsChange={setFields}
      />
      {schemaProblems.length > 0 && (
        <ul className="field-error">
          {schemaProblems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
      <label htmlFor="pool-terms">Consent terms (shown in full to contributors)</label>
      <textarea
        id="pool-terms"
        value={values.terms}
        aria-invalid={problems.terms ? true : undefined}
        aria-describedby={problems.terms ? problemIdOf("pool-terms") : undefined}
        onChange={(event) => set("terms")(event.target.value)}
      />
      <FieldProblem fieldId="pool-terms" problem={problems.terms} />
      <PurposesPicker
        id="pool-purposes"
        value={values.purposes}
        problem={problems.purposes}
        onChange={(purposes) => setValues((previous) => ({ ...previous, purposes }))}
      />
      <div className="row">
        <div>
          <label htmlFor="pool-token">Payment token</label>
          <select
            id="pool-token"
            value={values.token}
            onChange={(event) => set("token")(event.target.value)}
          >
            <option value="native">ETH (native coin)</option>
            {runtime.stablecoin && (
              <option value={runtime.stablecoin}>
                Stablecoin ({runtime.stablecoin.slice(0, 8)}…)
              </option>
            )}
          </select>
        </div>
        <TextField
          id="pool-share"
          label="Contributors' share of the net sale (%)"
          value={values.contributorSharePercent}
          onChange={set("contributorSharePercent")}
          problem={problems.contributorSharePercent}
          inputMode="decimal"
          hint="The rest, after the platform fee, goes to you."
        />
      </div>
      <ProductFields
        values={values}
        problems={problems}
        symbol={token?.symbol}
        set={set}
        policyText={policyText}
        policyEdited={editedPolicy !== undefined}
        onPolicyChange={setEditedPolicy}
      />
      <div className="row">
        <TextField
          id="pool-min"
          label="Minimum contributors before any sale"
          value={values.minContributors}
          onChange={set("minContributors")}
          problem={problems.minContributors}
          inputMode="numeric"
        />
        <TextField
          id="pool-max"
          label="Maximum contributors (0 = no cap)"
          value={values.maxContributors}
          onChange={set("maxContributors")}
          problem={problems.maxContributors}
          inputMode="numeric"
        />
        <TextField
          id="pool-bounty"
          label={`Bounty per contribution${token ? ` (${token.symbol})` : ""}`}
          value={values.bounty}
          onChange={set("bounty")}
          problem={problems.bounty}
          inputMode="decimal"
          hint="Paid from the bounty budget you fund after opening the pool."
        />
        <TextField
          id="pool-window"
          label="Delivery window (hours)"
          value={values.deliveryWindowHours}
          onChange={set("deliveryWindowHours")}
          problem={problems.deliveryWindowHours}
          inputMode="numeric"
          hint="After it, buyers of undelivered purchases can take a refund."
        />
      </div>
      <div className="actions">
        <button type="submit" disabled={transaction.busy}>
          Create pool
        </button>
      </div>
      <TransactionStatus state={transaction.state} />
      {created !== undefined && transaction.state.phase === "confirmed" && (
        <p className="ok">
          Pool {created.id} is open. Lists show it as “{created.name} · pool {created.id}”; the form
          is ready for another pool.
        </p>
      )}
    </form>
  );
}
