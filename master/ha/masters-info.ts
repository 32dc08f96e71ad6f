/**
 * What Admin.ListMasters answers. The single master (file store): itself, the leader since it started,
 * store `embedded`. HA masters: the registry `<prefix>masters/<id>` (each master's entry lives on its own
 * lease) and the leader key, store `etcd` — built in election.ts from these records.
 */
import type { ListMastersResponse } from '../../proto/generated/governor/v1/ListMastersResponse.js';
import type { MasterInfo } from '../../proto/generated/governor/v1/MasterInfo.js';
import { readVersion } from '../cli/version.js';

/** A master's entry in the registry (`<prefix>masters/<id>`), JSON. */
export interface MasterEntry {
  id: string;
  address: string;
  version: string;
  /** When the process started, ISO-8601. */
  started_at: string;
  lease_ttl_ms: number;
}

/** The leader key's value (`<prefix>leader`), JSON. */
export interface LeaderEntry {
  id: string;
  address: string;
  /** When it took the lead, ISO-8601. */
  since: string;
}

export const GOVERNOR_VERSION = readVersion();

export function embeddedMasters(address: string, masterId: string, since: Date): ListMastersResponse {
  const id = masterId || address;
  return {
    store: 'embedded',
    answered_by: id,
    masters: [
      {
        id,
        address,
        leader: true,
        leader_since: since.toISOString(),
        lease_ttl_ms: 0,
        lease_age_ms: 0,
        version: GOVERNOR_VERSION,
      },
    ],
  };
}

/** The registry as ListMasters shows it: sorted by id, the leader marked; `leaseAge` per entry (ms, or -1). */
export function haMasters(
  entries: readonly MasterEntry[],
  leader: LeaderEntry | null,
  leaseAgeMs: (id: string) => number,
  answeredBy: string,
): ListMastersResponse {
  const masters: MasterInfo[] = [...entries]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((e) => ({
      id: e.id,
      address: e.address,
      leader: leader?.id === e.id,
      leader_since: leader?.id === e.id ? leader.since : '',
      lease_ttl_ms: e.lease_ttl_ms,
      lease_age_ms: leaseAgeMs(e.id),
      version: e.version,
    }));
  return { store: 'etcd', answered_by: answeredBy, masters };
}

/** A registry or leader value read back from etcd; null when it is not one (never trusted blindly). */
export function parseMasterEntry(text: string): MasterEntry | null {
  const v = parseObject(text);
  if (!v || typeof v.id !== 'string' || typeof v.address !== 'string') return null;
  return {
    id: v.id,
    address: v.address,
    version: typeof v.version === 'string' ? v.version : '',
    started_at: typeof v.started_at === 'string' ? v.started_at : '',
    lease_ttl_ms: typeof v.lease_ttl_ms === 'number' ? v.lease_ttl_ms : 0,
  };
}

export function parseLeaderEntry(text: string): LeaderEntry | null {
  const v = parseObject(text);
  if (!v || typeof v.id !== 'string' || typeof v.address !== 'string') return null;
  return { id: v.id, address: v.address, since: typeof v.since === 'string' ? v.since : '' };
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
