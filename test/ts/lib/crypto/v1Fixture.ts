/**
 * A format v1 envelope written by lib/crypto before format v2 existed (commit c90e11b), kept as
 * bytes so that the promise "records sealed in v1 keep opening" is checked against the real old
 * writer, not only against a writer built from the document.
 */

/** The custodian's X25519 private key (32 × 0x11; clamped by X25519). */
export const V1_CUSTODIAN_PRIVATE_KEY = new Uint8Array(32).fill(0x11);
/** The contributor's X25519 private key (32 × 0x22). */
export const V1_CONTRIBUTOR_PRIVATE_KEY = new Uint8Array(32).fill(0x22);
/** The sealed record. */
export const V1_PLAINTEXT = '{"title":"sealed before v2","years":3}';
/** The envelope: custodian and contributor recipients, content type application/json. */
export const V1_ENVELOPE = Uint8Array.from(
  Buffer.from(
    [
      "444245560100001000000000000000000026f2bdf81e7286dc106170706c69636174696f6e2f6a736f6e02017b4e",
      "909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f73f133e52c73aa4147ab590d236a5f3499ae0",
      "a73c3135a0a811672531982977640254085063997797daeb6c8cca937d92c3158525e7ce12d80d79a5211bad64a4",
      "51d4db94c337f4ad5dfcd173ba01685f166f020faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf",
      "2678570f205643af62cd1d43d3069a32ada8b636ead2b4e8ae7eddd71dd2f54cc3b765305a994bb2c10332224669",
      "3c8f9ac336c37bb7fb5ca2d339674ac0ac6b35428e6ed40f4c5834ba11be76bbcf699fcc3a07d227a5a1bdbdd24e",
      "903a229d05bce660b5a199dad88ca57f4f72bf7348093447dcbbc6cbf7f9a91af885482a9b6c5ae82f2cad3b0a6a",
      "ad",
    ].join(""),
    "hex",
  ),
);
