/**
 * Authentication as the simulator needs it: any token is good, and which one it is only matters
 * for rate limits. GitHub takes `Authorization: token X` and `Authorization: Bearer X` (octokit
 * sends the first for classic tokens and the second for app tokens); anything else is no token.
 */
export function tokenFrom(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}
