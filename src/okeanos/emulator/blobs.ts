/**
 * Byte contents the emulator keeps in files rather than in memory: Pithos objects and the files
 * uploaded to master VMs. The emulator runs inside `npm start`'s process, and jars can be hundreds of
 * MB, so bodies stream into a file and back out; only sizes and hashes stay in memory.
 *
 * One temporary directory per emulator, removed on close. A blob is written under a fresh name and
 * only handed out once complete, so a failed or cut write never replaces anything.
 */
import { createHash } from 'node:crypto'
import { closeSync, createReadStream, createWriteStream, mkdtempSync, openSync, readdirSync, rmSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'

export interface BlobRef {
  /** File name inside the store's directory. */
  id: string
  bytes: number
  /** Hex MD5 of the contents (Pithos' ETag). */
  md5: string
}

export interface WriteOptions {
  /** Most bytes accepted; past it the write fails with `tooBig(bytesSoFar)`. */
  limit?: number
  tooBig?: (bytes: number) => Error
}

export class BlobStore {
  readonly dir: string
  private seq = 0
  private closed = false

  constructor(prefix = 'lod-emulator-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix))
  }

  /** Stream `source` into a new blob. On any failure the partial file is removed and the error rethrown. */
  async write(source: Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>, opts: WriteOptions = {}): Promise<BlobRef> {
    if (this.closed) throw new Error('blob store closed')
    const id = `b${++this.seq}-${process.pid}`
    const path = join(this.dir, id)
    const md5 = createHash('md5')
    let bytes = 0
    const limit = opts.limit ?? Infinity
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        bytes += chunk.length
        if (bytes > limit) return cb(opts.tooBig?.(bytes) ?? new Error(`more than ${limit} bytes`))
        md5.update(chunk)
        cb(null, chunk)
      },
    })
    try {
      await pipeline(source instanceof Readable ? source : Readable.from(source), meter, createWriteStream(path))
    } catch (err) {
      this.removeFile(id)
      throw err
    }
    return { id, bytes, md5: md5.digest('hex') }
  }

  /**
   * Read a blob. The file is opened now, so removing or replacing the blob while the read goes on does
   * not cut it (the open file stays readable).
   */
  read(blob: BlobRef): Readable {
    const fd = openSync(join(this.dir, blob.id), 'r')
    try {
      return createReadStream('', { fd, autoClose: true })
    } catch (err) {
      closeSync(fd)
      throw err
    }
  }

  async readAll(blob: BlobRef): Promise<Buffer> {
    const chunks: Buffer[] = []
    for await (const c of this.read(blob)) chunks.push(c as Buffer)
    return Buffer.concat(chunks)
  }

  remove(blob: BlobRef | undefined): void {
    if (blob) this.removeFile(blob.id)
  }

  /** Remove every blob (emulator reset). */
  clear(): void {
    for (const name of readdirSync(this.dir)) this.removeFile(name)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    rmSync(this.dir, { recursive: true, force: true })
  }

  private removeFile(id: string): void {
    try {
      unlinkSync(join(this.dir, id))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
}
