// The OTP encoding of a generated root token, as Vault's sdk/helper/roottoken does it: the token's
// bytes XORed with the one-time password's bytes (both the same length), base64 without padding.
// The server encodes (sys/generate-root/update); `coffer operator generate-root -decode` decodes.

/** Length of a root token (`hvs.` + 24 base62 characters), hence of the OTP it is XORed with. */
export const ROOT_TOKEN_OTP_LENGTH = 28;

export function encodeRootToken(token: string, otp: string): string {
  const t = Buffer.from(token, 'utf8');
  const o = Buffer.from(otp, 'utf8');
  if (t.length !== o.length) throw new Error(`xor of root token failed: length of byte slices is not equivalent: ${o.length} != ${t.length}`);
  const x = Buffer.alloc(t.length);
  for (let i = 0; i < t.length; i++) x[i] = t[i]! ^ o[i]!;
  return x.toString('base64').replace(/=+$/, '');
}

/** The inverse of encodeRootToken; accepts padded base64 too. Throws with Vault's CLI messages. */
export function decodeRootToken(encoded: string, otp: string): string {
  const trimmed = encoded.trim().replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(trimmed) || trimmed.length % 4 === 1) throw new Error("error decoding base64'd token: illegal base64 data");
  const x = Buffer.from(trimmed, 'base64');
  const o = Buffer.from(otp, 'utf8');
  if (x.length !== o.length) throw new Error(`error xoring token: length of byte slices is not equivalent: ${x.length} != ${o.length}`);
  const t = Buffer.alloc(x.length);
  for (let i = 0; i < x.length; i++) t[i] = x[i]! ^ o[i]!;
  return t.toString('utf8');
}
