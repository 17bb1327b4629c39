/**
 * Who is on the other end of a Unix socket, from the kernel rather than from what the client says:
 * the audit log's "who" (PCI DSS 10.2.1) must not be forgeable by the client. Node has no
 * SO_PEERCRED call, so we ask the kernel's sock_diag through `ss -xp` (iproute2) for the peer
 * socket's inode and owning process, then read that process's real UID from /proc.
 */
import { execFile } from 'node:child_process';
import { fstatSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface PeerCredentials {
  pid: number;
  uid: number;
  user: string;
}

interface SsRow {
  localInode: number;
  peerInode: number;
  pid?: number;
}

const SS_ROW = /^\S+\s+\S+\s+\d+\s+\d+\s+.*?\s(\d+)\s+\S+\s+(\d+)\s*(users:.*)?$/;

export function parseSsRows(text: string): SsRow[] {
  const rows: SsRow[] = [];
  for (const line of text.split('\n')) {
    const m = SS_ROW.exec(line.trim());
    if (!m) continue;
    const pid = /pid=(\d+)/.exec(m[3] ?? '')?.[1];
    rows.push({ localInode: Number(m[1]), peerInode: Number(m[2]), pid: pid ? Number(pid) : undefined });
  }
  return rows;
}

export function userName(uid: number, passwd = '/etc/passwd'): string {
  try {
    for (const line of readFileSync(passwd, 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (Number(id) === uid && name) return name;
    }
  } catch {
    // No passwd file: fall back to the number.
  }
  return `uid:${uid}`;
}

function uidOf(pid: number): number | undefined {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The credentials of the process at the other end of an accepted Unix-socket connection. */
export async function peerCredentials(socket: Socket): Promise<PeerCredentials | undefined> {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined || fd < 0) return undefined;
  let ownInode: number;
  try {
    ownInode = fstatSync(fd).ino;
  } catch {
    return undefined;
  }
  let text: string;
  try {
    text = (await execFileAsync('ss', ['-xpnH'], { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch {
    return undefined;
  }
  const rows = parseSsRows(text);
  const own = rows.find((r) => r.localInode === ownInode);
  const peer = own && rows.find((r) => r.localInode === own.peerInode);
  if (!peer?.pid) return undefined;
  const uid = uidOf(peer.pid);
  if (uid === undefined) return undefined;
  return { pid: peer.pid, uid, user: userName(uid) };
}
