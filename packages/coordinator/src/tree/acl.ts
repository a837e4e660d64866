/**
 * ZooKeeper's ACL checks (ZooKeeperServer.checkACL and PrepRequestProcessor.fixupACL) for the
 * schemes ZooKeeper ships: world (anyone), digest (user:base64(sha1(user:password))), ip
 * (exact address or CIDR), and auth (the connection's authenticated ids). There is no super
 * user and no SASL/x509.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { ZkPerm, type ZkAcl, type ZkId } from '@kafkaesque/protocol/jute';

/** The id an `addauth digest user:password` authenticates as. */
export function digestId(credentials: string): string {
  const colon = credentials.indexOf(':');
  const user = colon === -1 ? credentials : credentials.slice(0, colon);
  return `${user}:${createHash('sha1').update(credentials).digest('base64')}`;
}

function ipMatches(pattern: string, address: string): boolean {
  const [network, bitsText] = pattern.split('/');
  if (bitsText === undefined) return network === address;
  if (isIP(network) !== 4 || isIP(address) !== 4) return false;
  const bits = Number(bitsText);
  const toInt = (ip: string): number => ip.split('.').reduce((value, part) => ((value << 8) | Number(part)) >>> 0, 0);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((toInt(network) & mask) >>> 0) === ((toInt(address) & mask) >>> 0);
}

function idMatches(aclId: ZkId, auth: readonly ZkId[]): boolean {
  switch (aclId.scheme) {
    case 'world':
      return aclId.id === 'anyone';
    case 'digest':
      return auth.some((id) => id.scheme === 'digest' && id.id === aclId.id);
    case 'ip':
      return auth.some((id) => id.scheme === 'ip' && ipMatches(aclId.id, id.id));
    default:
      return false;
  }
}

/** Whether `auth` may do `perm` (a ZkPerm bit, or bits of which any suffices) on a node with `acl`. */
export function aclAllows(acl: readonly ZkAcl[], perm: number, auth: readonly ZkId[]): boolean {
  return acl.some((entry) => (entry.perms & perm) !== 0 && idMatches(entry.id, auth));
}

/**
 * ZooKeeper's fixupACL: `auth` entries become the connection's authenticated (non-ip) ids,
 * unknown schemes and malformed ids are rejected, duplicates dropped. Null when invalid.
 */
export function fixupAcl(acl: readonly ZkAcl[], auth: readonly ZkId[]): ZkAcl[] | null {
  if (acl.length === 0) return null;
  const fixed: ZkAcl[] = [];
  for (const entry of acl) {
    const { scheme, id } = entry.id;
    if (entry.perms < 0 || entry.perms > ZkPerm.ALL) return null;
    if (scheme === 'world') {
      if (id !== 'anyone') return null;
      fixed.push(entry);
    } else if (scheme === 'auth') {
      const authenticated = auth.filter((authId) => authId.scheme === 'digest');
      if (authenticated.length === 0) return null;
      for (const authId of authenticated) fixed.push({ perms: entry.perms, id: { scheme: authId.scheme, id: authId.id } });
    } else if (scheme === 'digest') {
      if (id.split(':').length !== 2) return null;
      fixed.push(entry);
    } else if (scheme === 'ip') {
      const [network, bits] = id.split('/');
      if (isIP(network) === 0 || (bits !== undefined && !/^\d+$/.test(bits))) return null;
      fixed.push(entry);
    } else {
      return null;
    }
  }
  const seen = new Set<string>();
  return fixed.filter((entry) => {
    const key = `${entry.perms}/${entry.id.scheme}/${entry.id.id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
