/** Processing purposes of a pool (bitmask of contracts/libraries/ConsentReceipt.sol), in words. */

export interface Purpose {
  bit: number;
  name: string;
  /** What consenting to it allows, in plain words. */
  description: string;
}

export const PURPOSES: readonly Purpose[] = [
  { bit: 1 << 0, name: "analytics", description: "statistics and market analysis" },
  { bit: 1 << 1, name: "recruitment", description: "finding and contacting candidates" },
  { bit: 1 << 2, name: "research", description: "scientific or academic research" },
  { bit: 1 << 3, name: "marketing", description: "advertising and marketing" },
  { bit: 1 << 4, name: "model training", description: "training machine-learning models" },
];

/** The purposes set in a bitmask. */
export function purposesOf(mask: number): Purpose[] {
  return PURPOSES.filter((purpose) => (mask & purpose.bit) !== 0);
}

/** "analytics and recruitment" */
export function purposesSentence(mask: number): string {
  const names = purposesOf(mask).map((purpose) => purpose.name);
  if (names.length <= 1) return names[0] ?? "no purpose";
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}
