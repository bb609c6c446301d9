/** Masking for logs and screens: never a whole ID number, name or card number. */

export function maskId(certno: string): string {
  if (certno.length <= 8) return '*'.repeat(certno.length);
  return certno.slice(0, 4) + '*'.repeat(certno.length - 8) + certno.slice(-4);
}

export function maskName(name: string): string {
  const chars = [...name];
  if (chars.length <= 1) return '*';
  return chars[0] + '*'.repeat(chars.length - 1);
}

export function maskCardNo(cardNo: string): string {
  if (cardNo.length <= 4) return '*'.repeat(cardNo.length);
  return cardNo.slice(0, 2) + '*'.repeat(cardNo.length - 4) + cardNo.slice(-2);
}
