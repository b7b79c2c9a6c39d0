// Reading files that someone else controls (config.json, exec --process, the rootfs's
// /etc/passwd) without being at their mercy: a fifo would block the open or the read forever, a
// device such as /dev/zero never ends, and a huge file costs memory and time. Only a regular file
// of at most maxBytes is read; anything else is refused with an error saying what it is.
import * as fs from 'fs';

/** Thrown for a file that is not a regular file, or is too large; `message` is the reason alone. */
export class UnreadableFileError extends Error {
  constructor(readonly reason: 'not-regular' | 'too-large' | 'directory', message: string) {
    super(message);
    this.name = 'UnreadableFileError';
  }
}

const MIB = 1024 * 1024;

/**
 * The text of `file` (symlinks followed) if it is a regular file of at most `maxBytes` bytes.
 * Throws UnreadableFileError for a directory, fifo, socket or device, or a larger file; other
 * failures (ENOENT, EACCES, ELOOP...) are the usual Node errors.
 */
export function readRegularFile(file: string, maxBytes: number): string {
  // O_NONBLOCK: opening a fifo for reading would otherwise wait for a writer.
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw new UnreadableFileError('directory', 'is a directory, not a file');
    if (!st.isFile()) throw new UnreadableFileError('not-regular', `is ${kindOf(st)}, not a regular file`);
    if (st.size > maxBytes) throw tooLarge(maxBytes);
    // Read to the end rather than trusting st.size (the file may grow meanwhile), but never past the limit.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(st.size - total, 64 * 1024), maxBytes + 1 - total));
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw tooLarge(maxBytes);
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

function tooLarge(maxBytes: number): UnreadableFileError {
  const limit = maxBytes >= MIB ? `${maxBytes / MIB} MiB` : `${maxBytes} bytes`;
  return new UnreadableFileError('too-large', `is larger than ${limit}`);
}

function kindOf(st: fs.Stats): string {
  if (st.isFIFO()) return 'a fifo';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'a special file';
}
