/**
 * ZooKeeper path rules (PathUtils.validatePath): absolute, no trailing slash (except the root),
 * no empty, "." or ".." segments, no control or private-use characters.
 */

export function isValidPath(path: string): boolean {
  if (path.length === 0 || path[0] !== '/') return false;
  if (path.length === 1) return true;
  if (path[path.length - 1] === '/') return false;
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0) return false;
    if (c === 0x2f /* / */ && path.charCodeAt(i - 1) === 0x2f) return false;
    if (c === 0x2e /* . */ && path.charCodeAt(i - 1) === 0x2f) {
      const next = i + 1 < path.length ? path.charCodeAt(i + 1) : 0x2f;
      if (next === 0x2f) return false;
      if (next === 0x2e && (i + 2 >= path.length || path.charCodeAt(i + 2) === 0x2f)) return false;
    }
    if ((c > 0 && c < 0x1f) || (c > 0x7f && c < 0x9f) || (c > 0xd800 && c < 0xf8ff) || (c > 0xfff0 && c < 0xffff)) {
      return false;
    }
  }
  return true;
}

/** The parent of a valid, non-root path ("/a" → "/", "/a/b" → "/a"). */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === 0 ? '/' : path.slice(0, slash);
}

export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}
