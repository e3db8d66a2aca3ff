/** Shown where a page needs a connected wallet. */
export function ConnectPrompt({ what }: { what: string }) {
  return (
    <p className="card muted" role="note">
      Connect a wallet (top right) to {what}.
    </p>
  );
}
