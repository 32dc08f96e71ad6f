/**
 * Users and groups of this machine, read from /etc/passwd and /etc/group (Node has no getpwnam). Only
 * the local files are read: accounts that exist only in LDAP/NIS are not found by name (give the
 * numeric id instead).
 */
import { readFileSync } from 'node:fs';

export interface AccountFiles {
  passwd: string;
  group: string;
}

export const SYSTEM_ACCOUNT_FILES: AccountFiles = { passwd: '/etc/passwd', group: '/etc/group' };

export interface UserEntry {
  name: string;
  uid: number;
  /** The primary group. */
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
}

/** A numeric id as written in a spec (`1000`), or null for a name. */
export function numericId(v: string): number | null {
  return /^\d+$/.test(v) ? Number(v) : null;
}

function rows(file: string): string[][] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

/** The passwd entry for a user name or numeric uid; null when there is none. */
export function findUser(nameOrId: string, files: AccountFiles = SYSTEM_ACCOUNT_FILES): UserEntry | null {
  const id = numericId(nameOrId);
  for (const f of rows(files.passwd)) {
    if (f.length < 7) continue;
    const [name = '', , uid = '', gid = '', , home = ''] = f;
    if (id === null ? name === nameOrId : numericId(uid) === id) {
      return { name, uid: Number(uid), gid: Number(gid), home };
    }
  }
  return null;
}

/** The group entry for a group name or numeric gid; null when there is none. */
export function findGroup(nameOrId: string, files: AccountFiles = SYSTEM_ACCOUNT_FILES): GroupEntry | null {
  const id = numericId(nameOrId);
  for (const f of rows(files.group)) {
    if (f.length < 3) continue;
    const [name = '', , gid = ''] = f;
    if (id === null ? name === nameOrId : numericId(gid) === id) return { name, gid: Number(gid) };
  }
  return null;
}

/**
 * The groups initgroups(3) gives user `name` with primary group `gid`: `gid` first, then every group of
 * the group file that lists `name` as a member, each once (what `setpriv --init-groups` sets).
 */
export function initGroupsOf(
  name: string,
  gid: number,
  files: AccountFiles = SYSTEM_ACCOUNT_FILES,
): number[] {
  const ids = [gid];
  for (const f of rows(files.group)) {
    if (f.length < 4) continue;
    const id = numericId(f[2] ?? '');
    if (id !== null && !ids.includes(id) && (f[3] ?? '').split(',').includes(name)) ids.push(id);
  }
  return ids;
}
