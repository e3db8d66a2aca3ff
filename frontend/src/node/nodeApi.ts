/**
 * The few data bank node calls the dApp makes before lib/api lands (docs/data-bank-node.md).
 * Uploads go through XMLHttpRequest because fetch cannot report upload progress.
 */

/** An error answered by the node: `{ error: { code, message } }`. */
export class NodeApiError extends Error {
  override name = "NodeApiError";
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

async function failure(response: Response): Promise<NodeApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return new NodeApiError(
    error?.message ?? `The data bank node answered HTTP ${response.status}.`,
    response.status,
    error?.code,
    body,
  );
}

async function getJson<T>(url: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch {
    throw new NodeApiError("The data bank node cannot be reached.", 0);
  }
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}

export interface CustodianInfo {
  address: `0x${string}`;
  publicKey: `0x${string}`;
}

/** The node's custodian address and X25519 public key. */
export function getCustodian(nodeUrl: string): Promise<CustodianInfo> {
  return getJson(`${nodeUrl}/v1/custodian`);
}

/** Uploads bytes (pinned by the node); `onProgress` receives the fraction sent, 0..1. */
export function uploadContent(
  nodeUrl: string,
  bytes: Uint8Array,
  onProgress?: (fraction: number) => void,
): Promise<{ cid: string; size: number }> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", `${nodeUrl}/v1/content`);
    request.setRequestHeader("content-type", "application/octet-stream");
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress?.(event.loaded / event.total);
    };
    request.onerror = () => reject(new NodeApiError("The data bank node cannot be reached.", 0));
    request.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        body = undefined;
      }
      if (request.status === 201 || request.status === 200) {
        onProgress?.(1);
        resolve(body as { cid: string; size: number });
        return;
      }
      const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
      reject(
        new NodeApiError(
          error?.message ?? `Upload failed (HTTP ${request.status}).`,
          request.status,
          error?.code,
          body,
        ),
      );
    };
    // Sent as the bytes themselves (not a Blob), so that tools inspecting requests see the body.
    request.send(bytes as Uint8Array<ArrayBuffer>);
  });
}

/** The bytes of a CID, as served (the caller verifies them when it matters). */
export async function getContent(nodeUrl: string, cid: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(`${nodeUrl}/v1/content/${encodeURIComponent(cid)}`);
  } catch {
    throw new NodeApiError("The data bank node cannot be reached.", 0);
  }
  if (!response.ok) throw await failure(response);
  return new Uint8Array(await response.arrayBuffer());
}

export interface DeliveryStatus {
  purchaseId: string;
  status: "pending" | "delivering" | "delivered" | "refunded" | "failed";
  deliveryCid?: string;
  recordsRoot?: string;
  recordCount?: number;
  transactionHash?: string;
}

/** The node's view of a purchase's delivery. */
export function getDelivery(nodeUrl: string, purchaseId: bigint): Promise<DeliveryStatus> {
  return getJson(`${nodeUrl}/v1/purchases/${purchaseId.toString()}/delivery`);
}

/** The body of a relayed consent (`POST /v1/contributions/relay`). */
export interface RelayBody {
  request: {
    contributor: string;
    poolId: number | bigint;
    dataCid: string;
    expiresAt: number | bigint;
    deadline: bigint;
  };
  signature: `0x${string}`;
}

/** Asks the custodian to check the data and relay the signed consent (the contributor pays no gas). */
export async function relayConsent(
  nodeUrl: string,
  body: RelayBody,
): Promise<{ contributionId: string; transactionHash: `0x${string}` }> {
  let response: Response;
  try {
    response = await fetch(`${nodeUrl}/v1/contributions/relay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      // Ids and amounts travel as decimal strings (docs/data-bank-node.md).
      body: JSON.stringify(body, (_key, value: unknown) =>
        typeof value === "bigint" ? value.toString() : value,
      ),
    });
  } catch {
    throw new NodeApiError("The data bank node cannot be reached.", 0);
  }
  if (!response.ok) throw await failure(response);
  return (await response.json()) as { contributionId: string; transactionHash: `0x${string}` };
}

/** Field errors of a rejected contribution (422 REJECTED), if the node sent any. */
export function rejectionDetails(error: unknown): { reason?: string; fieldErrors: string[] } {
  if (!(error instanceof NodeApiError)) return { fieldErrors: [] };
  const detail = (error.body as { error?: { reason?: string; fieldErrors?: unknown } } | undefined)
    ?.error;
  const fieldErrors = Array.isArray(detail?.fieldErrors)
    ? detail.fieldErrors.map((item) =>
        typeof item === "string"
          ? item
          : `${String((item as { path?: unknown }).path ?? "")} ${String((item as { message?: unknown }).message ?? "")}`.trim(),
      )
    : [];
  return { reason: detail?.reason, fieldErrors };
}
