import { randomBytes } from 'node:crypto'
import { link, mkdir, open, readdir, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { AilakeError } from '../errors.js'
import { compareKeys, resolveRange, TEMP_MARKER, validateKey, validatePrefix } from './keys.js'
import type { AppendableObject, ObjectInfo, ObjectStore } from './object-store.js'
import { checkOptions, type OptionKeys } from '../util/options.js'

export interface LocalStoreOptions {
  /** Directory holding the objects; created on first write. Relative paths resolve against the cwd. */
  root: string
  /**
   * fsync each object's bytes before it becomes visible, so a machine crash cannot leave a
   * committed key pointing at an empty file, and fsync the directory after a name is published
   * (and the parents of directories created for it), so a write that resolved survives a
   * machine crash. Default `true`.
   */
  fsync?: boolean
}

const LOCAL_STORE_KEYS = { root: true, fsync: true } as const satisfies OptionKeys<LocalStoreOptions>

// Error codes that usually clear up on their own, so a retry wrapper may repeat the call.
const TRANSIENT = new Set(['EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE', 'EINTR', 'ETIMEDOUT'])

function errno(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined
}

async function syncDir(dir: string): Promise<void> {
  // Node cannot open a directory for fsync on Windows; there a published name's durability is
  // left to NTFS's metadata journal.
  if (process.platform === 'win32') return
  const dh = await open(dir, 'r')
  try {
    await dh.sync()
  } finally {
    await dh.close()
  }
}

/**
 * A store on a local directory: the embedded default. Objects are files under `root` named by
 * their key. Writes go to a temp file in the same directory first, so a reader sees the old or
 * the new bytes, never a partial file; `putIfAbsent` publishes with `link()`, which fails if the
 * name exists, so it is atomic across processes. With `fsync`, a write resolves only once its
 * bytes and its name are on disk: a rename or link lives in the directory, which is synced too.
 */
export class LocalStore implements ObjectStore {
  /** Absolute root directory. */
  readonly root: string
  readonly #fsync: boolean

  constructor(options: LocalStoreOptions) {
    if (typeof options?.root !== 'string' || options.root === '') {
      throw new AilakeError('INVALID_ARGUMENT', 'LocalStore needs { root: "<directory>" }.', { context: { root: options?.root } })
    }
    checkOptions(options, LOCAL_STORE_KEYS, 'new LocalStore()')
    this.root = path.resolve(options.root)
    this.#fsync = options.fsync ?? true
  }

  async get(key: string): Promise<Uint8Array> {
    const file = this.#path(key)
    try {
      const buf = await readFile(file)
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
    } catch (err) {
      throw this.#ioError('read', key, err)
    }
  }

  async getRange(key: string, offset: number, length?: number): Promise<Uint8Array> {
    const file = this.#path(key)
    let fh
    try {
      fh = await open(file, 'r')
    } catch (err) {
      throw this.#ioError('open', key, err)
    }
    try {
      const { size } = await fh.stat()
      const [start, end] = resolveRange(key, size, offset, length)
      const out = new Uint8Array(end - start)
      let done = 0
      while (done < out.length) {
        const { bytesRead } = await fh.read(out, done, out.length - done, start + done)
        if (bytesRead === 0) {
          throw new AilakeError('STORE_ERROR', `File for ${JSON.stringify(key)} ended at byte ${start + done} while reading up to ${end}; it shrank during the read.`, { context: { key, start, end }, retryable: true })
        }
        done += bytesRead
      }
      return out
    } catch (err) {
      throw this.#ioError('read', key, err)
    } finally {
      await fh.close()
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const file = this.#path(key)
    try {
      const st = await stat(file, { bigint: true })
      if (!st.isFile()) return undefined
      return { key, size: Number(st.size), etag: `${st.ino.toString(16)}-${st.size.toString(16)}-${st.mtimeNs.toString(16)}`, lastModified: new Date(Number(st.mtimeMs)) }
    } catch (err) {
      const code = errno(err)
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
      throw this.#ioError('stat', key, err)
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const file = this.#path(key)
    const tmp = await this.#writeTemp(key, file, bytes)
    try {
      await rename(tmp, file)
    } catch (err) {
      await unlink(tmp).catch(() => {})
      throw this.#ioError('rename into place', key, err)
    }
    await this.#syncPublished(key, file)
  }

  async putIfAbsent(key: string, bytes: Uint8Array): Promise<boolean> {
    const file = this.#path(key)
    const tmp = await this.#writeTemp(key, file, bytes)
    let created = true
    try {
      await link(tmp, file)
    } catch (err) {
      if (errno(err) !== 'EEXIST') throw this.#ioError('link into place', key, err)
      // A directory of that name is a prefix of other keys, not an object: creating it can never succeed.
      if ((await stat(file).catch(() => undefined))?.isDirectory() === true) throw this.#ioError('link into place', key, Object.assign(new Error(`${file} is a directory`), { code: 'EISDIR' }))
      created = false
    } finally {
      await unlink(tmp).catch(() => {})
    }
    if (created) await this.#syncPublished(key, file)
    return created
  }

  /**
   * Creates the file with O_EXCL at its final name (no temp file: appended records are
   * self-checking, and a log must grow in place). With fsync on, the new directory entry is
   * synced once, and each append is fdatasync'ed: two system calls per record instead of a
   * put's six.
   */
  async createAppendable(key: string): Promise<AppendableObject | undefined> {
    const file = this.#path(key)
    const dir = path.dirname(file)
    let fh: FileHandle
    try {
      fh = await open(file, 'ax').catch(async (err: unknown) => {
        if (errno(err) !== 'ENOENT') throw err
        await this.#mkdirs(dir)
        return open(file, 'ax')
      })
    } catch (err) {
      if (errno(err) === 'EEXIST') return undefined
      throw this.#ioError('create', key, err)
    }
    if (this.#fsync) {
      try {
        await syncDir(dir)
      } catch (err) {
        await fh.close().catch(() => {})
        throw this.#ioError('sync the directory of', key, err)
      }
    }
    const fsync = this.#fsync
    return {
      append: async (bytes: Uint8Array): Promise<void> => {
        try {
          let done = 0
          while (done < bytes.length) {
            const { bytesWritten } = await fh.write(bytes, done, bytes.length - done)
            done += bytesWritten
          }
          if (fsync) await fh.datasync()
        } catch (err) {
          throw this.#ioError('append to', key, err)
        }
      },
      close: () => fh.close(),
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    validatePrefix(prefix)
    const slash = prefix.lastIndexOf('/')
    const dirKey = slash < 0 ? '' : prefix.slice(0, slash)
    const out: ObjectInfo[] = []
    await this.#walk(dirKey, prefix, out)
    return out.sort((a, b) => compareKeys(a.key, b.key))
  }

  async delete(key: string): Promise<void> {
    const file = this.#path(key)
    try {
      await unlink(file)
    } catch (err) {
      const code = errno(err)
      if (code === 'ENOENT' || code === 'ENOTDIR') return
      throw this.#ioError('delete', key, err)
    }
  }

  /** Holds no open handles between calls; nothing to release. */
  async close(): Promise<void> {}

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  async #walk(dirKey: string, prefix: string, out: ObjectInfo[]): Promise<void> {
    const dir = dirKey === '' ? this.root : path.join(this.root, ...dirKey.split('/'))
    let entries
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (err) {
      const code = errno(err)
      if (code === 'ENOENT' || code === 'ENOTDIR') return
      throw this.#ioError('list', dirKey, err)
    }
    await Promise.all(entries.map(async (ent) => {
      if (ent.name.includes(TEMP_MARKER)) return
      const key = dirKey === '' ? ent.name : `${dirKey}/${ent.name}`
      if (ent.isDirectory()) {
        // Descend only where keys below could still start with the prefix.
        if (prefix.startsWith(`${key}/`) || `${key}/`.startsWith(prefix)) await this.#walk(key, prefix, out)
      } else if (ent.isFile() && key.startsWith(prefix)) {
        const info = await this.head(key)
        if (info !== undefined) out.push(info)
      }
    }))
  }

  #path(key: string): string {
    validateKey(key)
    return path.join(this.root, ...key.split('/'))
  }

  async #writeTemp(key: string, file: string, bytes: Uint8Array): Promise<string> {
    if (!(bytes instanceof Uint8Array)) throw new AilakeError('INVALID_ARGUMENT', `Bytes for ${JSON.stringify(key)} must be a Uint8Array.`, { context: { key } })
    const dir = path.dirname(file)
    const tmp = path.join(dir, `.${path.basename(file)}${TEMP_MARKER}${process.pid}-${randomBytes(6).toString('hex')}`)
    try {
      // Directories usually exist already: create them only when the first open says so.
      const fh = await open(tmp, 'wx').catch(async (err: unknown) => {
        if (errno(err) !== 'ENOENT') throw err
        await this.#mkdirs(dir)
        return open(tmp, 'wx')
      })
      try {
        let done = 0
        while (done < bytes.length) {
          const { bytesWritten } = await fh.write(bytes, done, bytes.length - done)
          done += bytesWritten
        }
        if (this.#fsync) await fh.sync()
      } finally {
        await fh.close()
      }
      return tmp
    } catch (err) {
      await unlink(tmp).catch(() => {})
      throw this.#ioError('write', key, err)
    }
  }

  /**
   * Creates `dir` and its missing parents. With fsync, syncs the directories holding the new
   * entries: every directory from `dir`'s parent up to the root (up to the root's parent when
   * the root itself was new). All of them, not only those this call created: another process
   * may have created one a moment ago and not synced it yet, and this write must not resolve
   * on its promise.
   */
  async #mkdirs(dir: string): Promise<void> {
    const first = await mkdir(dir, { recursive: true })
    if (!this.#fsync) return
    const top = first !== undefined && !path.relative(first, this.root).startsWith('..') ? path.dirname(first) : this.root
    const parents: string[] = []
    for (let d = dir; d !== top && d !== path.dirname(d);) {
      d = path.dirname(d)
      parents.push(d)
    }
    await Promise.all(parents.map(syncDir))
  }

  /** With fsync, makes the name just published for `key` durable by syncing its directory. */
  async #syncPublished(key: string, file: string): Promise<void> {
    if (!this.#fsync) return
    try {
      await syncDir(path.dirname(file))
    } catch (err) {
      throw this.#ioError('sync the directory of', key, err)
    }
  }

  #ioError(op: string, key: string, err: unknown): AilakeError {
    if (err instanceof AilakeError) return err
    const code = errno(err)
    if ((code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') && (op === 'read' || op === 'open')) {
      return new AilakeError('NOT_FOUND', `Object ${JSON.stringify(key)} does not exist under ${this.root}.`, { context: { key, root: this.root }, cause: err })
    }
    if (code === 'ENOTDIR' || code === 'EISDIR') {
      return new AilakeError('STORE_ERROR', `Cannot ${op} ${JSON.stringify(key)} under ${this.root}: a file and a directory would share a path. Keys may not be both an object and a prefix of another object.`, { context: { key, root: this.root, errno: code }, cause: err })
    }
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
      if (op === 'link into place') {
        return new AilakeError('STORE_ERROR', `The filesystem under ${this.root} does not support hard links, which LocalStore needs for atomic create-if-absent. Use a local filesystem such as ext4, xfs, apfs or tmpfs.`, { context: { key, root: this.root, errno: code }, cause: err })
      }
    }
    const detail = err instanceof Error ? err.message : String(err)
    return new AilakeError('STORE_ERROR', `Could not ${op} ${JSON.stringify(key)} under ${this.root}: ${detail}`, { context: { key, root: this.root, errno: code }, cause: err, retryable: code !== undefined && TRANSIENT.has(code) })
  }
}
