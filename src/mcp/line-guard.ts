// A guard in front of the stdio transport. The SDK buffers at most 10 MB of one unfinished line and then closes
// the transport, which would end the server for one oversized message. This pass-through stops forwarding a
// line once it passes `maxBytes` and resumes at the next newline: the SDK then sees a truncated line, reports a
// parse error and keeps serving. Nothing is copied; chunks are forwarded as slices.
import { Transform } from 'node:stream';

export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

export function createLineGuard(maxBytes = MAX_MESSAGE_BYTES, onDrop?: (lineBytes: number) => void): Transform {
  let lineLen = 0;
  let dropping = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      let pos = 0;
      while (pos < chunk.length) {
        const nl = chunk.indexOf(0x0a, pos);
        const end = nl === -1 ? chunk.length : nl + 1;
        const piece = chunk.subarray(pos, end);
        if (!dropping && lineLen + piece.length - (nl === -1 ? 0 : 1) > maxBytes) {
          // Forward what fits, then drop the rest of this line.
          const room = Math.max(0, maxBytes - lineLen);
          if (room) this.push(piece.subarray(0, room));
          dropping = true;
        } else if (!dropping) {
          this.push(piece);
        }
        lineLen += piece.length;
        if (nl !== -1) {
          if (dropping) {
            this.push(Buffer.from('\n'));
            onDrop?.(lineLen);
          }
          dropping = false;
          lineLen = 0;
        }
        pos = end;
      }
      done();
    },
  });
}
