// A guard in front of the stdio transport. The SDK buffers at most 10 MB of one unfinished line and then closes
// the transport, which would end the server for one oversized message. This pass-through stops forwarding a
// line once it passes `maxBytes` and resumes at the next newline: the SDK then sees a truncated line (a parse
// error) and keeps serving. So the sender is not left waiting, the guard recovers the request id from the
// line's first or last bytes (clients put `id` before or after the large `params`) and reports it, and the
// caller answers with a JSON-RPC error. A line is forwarded whole, once its newline arrives (a line that fits in
// one chunk is a slice of it, never copied): the SDK appends every chunk it reads to its buffer, which for a
// multi-megabyte line read in 64 KB chunks copied the line over and over (quadratic); now it copies it once.
import { Transform } from 'node:stream';

export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
const EDGE = 512;

export type DroppedId = string | number | undefined;

export function createLineGuard(maxBytes = MAX_MESSAGE_BYTES, onDrop?: (lineBytes: number, id: DroppedId) => void): Transform {
  let lineLen = 0;
  let dropping = false;
  let head = '';
  let tail = Buffer.alloc(0);
  /** The unfinished line's pieces so far (at most maxBytes of them), forwarded together at its newline. */
  let pending: Buffer[] = [];
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      let pos = 0;
      while (pos < chunk.length) {
        const nl = chunk.indexOf(0x0a, pos);
        const end = nl === -1 ? chunk.length : nl + 1;
        const piece = chunk.subarray(pos, end);
        if (lineLen < EDGE) head += piece.subarray(0, EDGE - lineLen).toString('latin1');
        if (!dropping && lineLen + piece.length - (nl === -1 ? 0 : 1) > maxBytes) {
          // Forward what fits, then drop the rest of this line.
          const room = Math.max(0, maxBytes - lineLen);
          if (room) pending.push(piece.subarray(0, room));
          dropping = true;
        } else if (!dropping) {
          pending.push(piece);
        }
        if (dropping) tail = Buffer.concat([tail, piece]).subarray(-EDGE);
        lineLen += piece.length;
        if (nl !== -1) {
          if (dropping) pending.push(NEWLINE);
          this.push(pending.length === 1 ? pending[0] : Buffer.concat(pending));
          pending = [];
          if (dropping) onDrop?.(lineLen, findId(head, tail.toString('latin1')));
          dropping = false;
          lineLen = 0;
          head = '';
          tail = Buffer.alloc(0);
        }
        pos = end;
      }
      done();
    },
    flush(done) {
      // An unterminated last line is passed on as it is (the transport ignores it, as it did before).
      if (pending.length) this.push(Buffer.concat(pending));
      done();
    },
  });
}

const NEWLINE = Buffer.from('\n');

const ID_VALUE = String.raw`"id"\s*:\s*(-?\d{1,15}|"(?:[^"\\]|\\.){0,128}")`;
const HEAD_ID = new RegExp(String.raw`^\s*\{(?:\s*"(?:jsonrpc|method)"\s*:\s*"[^"]{0,128}"\s*,)*\s*${ID_VALUE}`);
const TAIL_ID = new RegExp(String.raw`[,{]\s*${ID_VALUE}\s*(?:,\s*"(?:jsonrpc|method)"\s*:\s*"[^"]{0,128}"\s*)*\}\s*$`);

/** The id of a JSON-RPC request whose `id` member sits at the top level, first or last (after the params). */
export function findId(head: string, tail: string): DroppedId {
  const m = HEAD_ID.exec(head) ?? TAIL_ID.exec(tail);
  if (!m) return undefined;
  try {
    return JSON.parse(m[1]!) as string | number;
  } catch {
    return undefined;
  }
}
