/**
 * Pithos object-store client: the containers and objects LoD keeps its
 * application jars in (container `lambda_applications_<project name>`,
 * docs/original.md "Applications"). URLs are `{object-store}/{account}/{container}/{object}`;
 * the account is the user uuid.
 *
 * Whole-object PUTs and container PUTs are idempotent, so unlike Cyclades
 * creates they are retried on transient failures, except a streamed PUT (a
 * stream cannot be replayed). Large objects go through the streaming calls
 * (`putObjectStream`, `getObjectStream`), which never hold the bytes in memory.
 *
 * Every account, container and object name is one path segment, checked before any request and encoded: a name
 * like `../../<another uuid>/…` must never turn into another account's URL sent with the caller's token.
 */
import type { Readable } from 'node:stream'
import { OkeanosError } from './errors.js'
import type { ByteSource } from './http-stream.js'
import type { OkeanosHttp } from './http.js'

export interface ContainerInfo {
  name: string
  count: number
  bytes: number
  last_modified: string
  x_container_policy?: { project?: string; quota?: string; versioning?: string }
}

export interface ObjectInfo {
  name: string
  bytes: number
  hash: string
  content_type: string
  last_modified: string
}

export interface StoredObject {
  data: Buffer
  contentType: string
  etag: string
}

/** An object body being downloaded: a Node Readable with the object's headers. */
export type StreamedObject = Readable & { contentType: string; etag: string; size: number | undefined }

export interface ObjectMeta {
  bytes: number
  contentType: string
  etag: string
  lastModified: string
}

const notFound = (e: OkeanosError) => e.status === 404

/** A name the client refuses to put in a Pithos URL. Not an OkeanosError: nothing was asked of ~okeanos. */
export class PithosNameError extends Error {
  constructor(
    readonly what: 'account' | 'container' | 'object',
    readonly value: string,
  ) {
    super(`${JSON.stringify(value)} is not a valid Pithos ${what} name: it must be one path segment (no '/', not '.' or '..', not empty, no control characters).`)
    this.name = 'PithosNameError'
  }
}

// Besides '/', a URL parser also reads a backslash as a separator, and '.' or '..' (even percent-encoded) as a step.
const unsafeSegment = /[/\\\u0000-\u001f\u007f-\u009f]/

/** One path segment of a Pithos URL, encoded; throws PithosNameError for anything else. */
export function pithosSegment(what: PithosNameError['what'], value: string): string {
  if (typeof value !== 'string' || value === '' || value === '.' || value === '..' || unsafeSegment.test(value)) throw new PithosNameError(what, value)
  return encodeURIComponent(value)
}

export class PithosClient {
  constructor(
    private readonly http: OkeanosHttp,
    readonly url: string,
    readonly account: string,
  ) {}

  /** `{object-store}/{account}[/{container}[/{object}]]`, each name checked and encoded on its own. */
  private path(container?: string, object?: string): string {
    let url = `${this.url.replace(/\/+$/, '')}/${pithosSegment('account', this.account)}`
    if (container !== undefined) url += `/${pithosSegment('container', container)}`
    if (object !== undefined) url += `/${pithosSegment('object', object)}`
    return url
  }

  async listContainers(): Promise<ContainerInfo[]> {
    return (await this.http.request<ContainerInfo[] | undefined>('GET', this.path(), { query: { format: 'json' } })) ?? []
  }

  /** PUT the container, charged to `project` if given. 'created' (201) or 'exists' (202). */
  async createContainer(name: string, project?: string): Promise<'created' | 'exists'> {
    const headers: Record<string, string> = {}
    if (project) headers['x-container-policy-project'] = project
    const res = await this.http.send('PUT', this.path(name), { headers, retry: true, expect: [201, 202] })
    return res?.status === 201 ? 'created' : 'exists'
  }

  /** Container metadata from HEAD, or undefined if it does not exist. */
  async getContainer(name: string): Promise<{ objectCount: number; bytesUsed: number; project: string } | undefined> {
    try {
      const res = await this.http.send('HEAD', this.path(name), { expect: [204, 200] })
      return {
        objectCount: Number(res?.headers.get('x-container-object-count') ?? 0),
        bytesUsed: Number(res?.headers.get('x-container-bytes-used') ?? 0),
        project: res?.headers.get('x-container-policy-project') ?? '',
      }
    } catch (err) {
      if (err instanceof OkeanosError && err.status === 404) return undefined
      throw err
    }
  }

  /** DELETE → 204; 409 while it holds objects. */
  async deleteContainer(name: string): Promise<void> {
    await this.http.send('DELETE', this.path(name), { retry: true, goneOnRetry: notFound, expect: [204] })
  }

  async listObjects(container: string): Promise<ObjectInfo[]> {
    return (await this.http.request<ObjectInfo[] | undefined>('GET', this.path(container), { query: { format: 'json' } })) ?? []
  }

  /** Upload (or replace) a whole object; returns its ETag (MD5). 413 when pithos.diskspace is exhausted. */
  async putObject(container: string, name: string, data: Uint8Array, contentType = 'application/octet-stream'): Promise<string> {
    const res = await this.http.send('PUT', this.path(container, name), {
      rawBody: data,
      headers: { 'content-type': contentType },
      retry: true,
      expect: [201],
    })
    return res?.headers.get('etag') ?? ''
  }

  async getObject(container: string, name: string): Promise<StoredObject> {
    const res = (await this.http.send('GET', this.path(container, name), { headers: { accept: '*/*' } }))!
    return { data: res.body, contentType: res.headers.get('content-type') ?? '', etag: res.headers.get('etag') ?? '' }
  }

  /**
   * Upload (or replace) an object from a stream, without holding it in memory; returns its ETag.
   * `size`, when known, is sent as Content-Length (and a quota that cannot hold it answers 413 before
   * any byte moves); otherwise the body is sent chunked. Never retried: a stream cannot be replayed,
   * so on a transient failure the caller uploads again from its own source.
   */
  async putObjectStream(
    container: string,
    name: string,
    body: ByteSource,
    opts: { contentType?: string; size?: number } = {},
  ): Promise<string> {
    const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/octet-stream' }
    if (opts.size !== undefined) headers['content-length'] = String(opts.size)
    const res = await this.http.stream('PUT', this.path(container, name), { headers, body, expect: [201] })
    res.body.resume() // an empty answer; drain it so the connection is reused
    return res.headers.get('etag') ?? ''
  }

  /**
   * The object's bytes as a stream (consume or destroy it). Failing to start is retried like any GET;
   * a failure mid-transfer is an error on the stream.
   */
  async getObjectStream(container: string, name: string): Promise<StreamedObject> {
    const res = await this.http.stream('GET', this.path(container, name), { expect: [200] })
    const length = res.headers.get('content-length')
    return Object.assign(res.body, {
      contentType: res.headers.get('content-type') ?? '',
      etag: res.headers.get('etag') ?? '',
      size: length === null ? undefined : Number(length),
    })
  }

  /** The object's metadata, or undefined if it does not exist. */
  async headObject(container: string, name: string): Promise<ObjectMeta | undefined> {
    try {
      const res = (await this.http.send('HEAD', this.path(container, name), { headers: { accept: '*/*' }, expect: [200] }))!
      return {
        bytes: Number(res.headers.get('content-length') ?? 0),
        contentType: res.headers.get('content-type') ?? '',
        etag: res.headers.get('etag') ?? '',
        lastModified: res.headers.get('last-modified') ?? '',
      }
    } catch (err) {
      if (err instanceof OkeanosError && err.status === 404) return undefined
      throw err
    }
  }

  async deleteObject(container: string, name: string): Promise<void> {
    await this.http.send('DELETE', this.path(container, name), { retry: true, goneOnRetry: notFound, expect: [204] })
  }
}
