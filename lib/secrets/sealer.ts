/**
 * Seals integration secrets at rest. The context (the integration id) is bound into the
 * ciphertext, so a sealed value copied onto another integration does not open.
 */
export interface SecretSealer {
  seal(plaintext: string, context: SealContext): Promise<string>;
  open(sealed: string, context: SealContext): Promise<string>;
}

export interface SealContext {
  integrationId: string;
}
